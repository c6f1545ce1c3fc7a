import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * Which connections of a link a fault applies to. `bus` is a Redis
 * connection that has sent SUBSCRIBE (the invalidation bus), `data` every
 * other one, `all` both.
 */
export type ConnectionClass = "all" | "bus" | "data";

/** A fault on a link: how the proxy treats the connections of one class. */
export type LinkFault =
  /** Existing connections are reset, new ones refused (a partition that fails fast). */
  | { kind: "reset"; of: ConnectionClass }
  /** Nothing is forwarded (existing and new connections), nothing is closed; on heal the backlog flows (a silent partition). */
  | { kind: "stall"; of: ConnectionClass }
  /** The connections open now drop everything from now on and are never closed (a dead NAT entry); new ones work. */
  | { kind: "half-open"; of: ConnectionClass }
  /** Every chunk is delayed by `delayMs` plus up to `jitterMs`, order kept. */
  | { kind: "latency"; of: ConnectionClass; delayMs: number; jitterMs: number };

interface Pair {
  client: Socket;
  upstream: Socket;
  bus: boolean;
  /** Black-holed for good (half-open). */
  dead: boolean;
  /** Delayed chunks per direction, in arrival order, each with its delivery time; one timer drains each queue. */
  delayed: { up: DelayedQueue; down: DelayedQueue };
  /** Chunks held while stalled. */
  held: { toUpstream: boolean; chunk: Buffer }[];
}

/** Chunks waiting out a latency fault on one direction of a connection. */
interface DelayedQueue {
  chunks: { at: number; chunk: Buffer }[];
  timer: NodeJS.Timeout | undefined;
}

const SUBSCRIBE = /subscribe/i;

/**
 * A TCP proxy for one link between two hosts (the suite's own, next to
 * packages/test-servers' FaultProxy, which only cuts): it listens on the
 * bridge address and can reset, stall, black-hole (half-open) or delay the
 * link's connections, all of them or only the Redis bus connection.
 */
export class LinkProxy {
  private readonly pairs = new Set<Pair>();
  private readonly faults = new Map<number, LinkFault>();
  private nextFaultId = 1;

  private constructor(
    readonly name: string,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(name: string, listenHost: string, target: { host: string; port: number }): Promise<LinkProxy> {
    let proxy: LinkProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, target));
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, listenHost, () => resolve((server.address() as { port: number }).port));
    });
    proxy = new LinkProxy(name, server, port);
    return proxy;
  }

  /** Applies `fault` until the returned function is called. */
  apply(fault: LinkFault): () => void {
    const id = this.nextFaultId++;
    this.faults.set(id, fault);
    for (const pair of this.pairs) {
      if (!matches(fault.of, pair)) continue;
      if (fault.kind === "reset") this.drop(pair, true);
      if (fault.kind === "half-open") pair.dead = true;
    }
    return () => {
      this.faults.delete(id);
      for (const pair of [...this.pairs]) this.release(pair);
    };
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.drop(pair, true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private active(pair: Pair, kind: LinkFault["kind"]): LinkFault | undefined {
    for (const fault of this.faults.values()) if (fault.kind === kind && matches(fault.of, pair)) return fault;
    return undefined;
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    client.on("error", () => {});
    const probe: Pair = {
      client,
      upstream: client,
      bus: false,
      dead: false,
      delayed: { up: { chunks: [], timer: undefined }, down: { chunks: [], timer: undefined } },
      held: [],
    };
    if (this.active(probe, "reset")) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on("error", () => {});
    const pair: Pair = { ...probe, upstream };
    this.pairs.add(pair);
    const close = () => this.drop(pair, false);
    client.on("close", close);
    upstream.on("close", close);
    client.on("data", (chunk: Buffer) => {
      if (!pair.bus && SUBSCRIBE.test(chunk.toString("latin1"))) {
        pair.bus = true;
        if (this.active(pair, "reset")) return this.drop(pair, true);
      }
      this.forward(pair, true, chunk);
    });
    upstream.on("data", (chunk: Buffer) => this.forward(pair, false, chunk));
  }

  private forward(pair: Pair, toUpstream: boolean, chunk: Buffer): void {
    if (pair.dead) return;
    if (this.active(pair, "stall")) {
      pair.held.push({ toUpstream, chunk });
      return;
    }
    const latency = this.active(pair, "latency");
    const to = toUpstream ? pair.upstream : pair.client;
    // One queue per direction, drained in order by one timer: a timer per chunk can fire out of
    // order (each expiry is taken from the loop's cached clock), which would reorder the stream.
    const queue = pair.delayed[toUpstream ? "up" : "down"];
    const last = queue.chunks[queue.chunks.length - 1];
    if (latency?.kind !== "latency" && !last) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    // Once healed, a chunk still goes behind those delayed before it.
    const delayMs = latency?.kind === "latency" ? latency.delayMs + Math.random() * latency.jitterMs : 0;
    queue.chunks.push({ at: Math.max(last?.at ?? 0, Date.now() + delayMs), chunk });
    if (!queue.timer) this.drain(pair, queue, to);
  }

  /** Writes the queue's due chunks in order, then waits for the next one. */
  private drain(pair: Pair, queue: DelayedQueue, to: Socket): void {
    queue.timer = undefined;
    while (queue.chunks[0] && queue.chunks[0].at <= Date.now()) {
      const { chunk } = queue.chunks.shift() as { chunk: Buffer };
      if (!pair.dead && !to.destroyed) to.write(chunk);
    }
    const next = queue.chunks[0];
    if (next) queue.timer = setTimeout(() => this.drain(pair, queue, to), Math.max(1, next.at - Date.now()));
  }

  /** After a fault ends: deliver what a stall held (if no stall still applies). */
  private release(pair: Pair): void {
    if (this.active(pair, "stall")) return;
    const held = pair.held.splice(0);
    for (const { toUpstream, chunk } of held) this.forward(pair, toUpstream, chunk);
  }

  private drop(pair: Pair, reset: boolean): void {
    if (!this.pairs.delete(pair)) return;
    for (const queue of [pair.delayed.up, pair.delayed.down]) clearTimeout(queue.timer);
    if (reset) {
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
    } else {
      pair.client.destroy();
      pair.upstream.destroy();
    }
  }
}

function matches(of: ConnectionClass, pair: Pick<Pair, "bus">): boolean {
  return of === "all" || (of === "bus") === pair.bus;
}
