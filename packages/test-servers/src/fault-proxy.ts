import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on a free loopback port in front of `target` that a test can
 * cut: `cut()` destroys every open connection and resets new ones at once (a
 * server that is unreachable, but fails fast), `restore()` forwards again.
 */
export class FaultProxy {
  private readonly sockets = new Set<Socket>();
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
    return this.sockets.size / 2;
  }

  /** Drops every connection and refuses new ones until `restore()`. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  restore(): void {
    this.down = false;
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
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
