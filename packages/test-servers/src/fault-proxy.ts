import { connect, createServer, type Server, type Socket } from "node:net";

/** The bytes a client sent first on a connection (kept to pick connections to stall). */
const RECORDED_BYTES = 8_192;

/** One client connection and its upstream. */
interface Link {
  client: Socket;
  upstream: Socket;
  /** What the client sent first, as latin1 text (commands, CLIENT SETNAME, ...). */
  sent: string;
  /** Forwarding stopped, sockets kept open. */
  stalled: boolean;
}

/**
 * A TCP proxy on a free loopback port in front of `target` that a test can
 * cut or stall: `cut()` destroys every open connection and resets new ones at
 * once (a server that is unreachable, but fails fast), `restore()` forwards
 * again; `stall(match)` stops forwarding on chosen open connections while
 * keeping their sockets open (a half-open connection: a dead NAT entry, a
 * frozen peer), which neither side notices by itself.
 */
export class FaultProxy {
  private readonly links = new Set<Link>();
  private down = false;
  /** Connections refused while cut. */
  refused = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, target));
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
    proxy = new FaultProxy(server, port);
    return proxy;
  }

  /** Whether connections are being cut now. */
  get isCut(): boolean {
    return this.down;
  }

  /** Open connections through the proxy. */
  get connections(): number {
    return this.links.size;
  }

  /** Drops every connection and refuses new ones until `restore()`. */
  cut(): void {
    this.down = true;
    for (const link of this.links) {
      link.client.resetAndDestroy();
      link.upstream.resetAndDestroy();
    }
    this.links.clear();
  }

  restore(): void {
    this.down = false;
  }

  /**
   * Stops forwarding, in both directions, on every open connection whose
   * client's first bytes match (all when `match` is omitted); the sockets stay
   * open and whatever is sent on them is dropped. New connections forward as
   * usual. Returns how many connections were stalled.
   */
  stall(match: (sentByClient: string) => boolean = () => true): number {
    let stalled = 0;
    for (const link of this.links) {
      if (link.stalled || !match(link.sent)) continue;
      link.stalled = true;
      stalled++;
    }
    return stalled;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.down) {
      this.refused++;
      client.on("error", () => {}); // the reset is the point; its echo is not an error here
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    // Small request/reply protocols (Redis, Postgres) stall on Nagle + delayed ACK otherwise.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const link: Link = { client, upstream, sent: "", stalled: false };
    this.links.add(link);
    const drop = () => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (chunk: Buffer) => {
      if (link.sent.length < RECORDED_BYTES) link.sent += chunk.toString("latin1", 0, Math.min(chunk.length, RECORDED_BYTES));
      if (!link.stalled) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!link.stalled) client.write(chunk);
    });
  }
}
