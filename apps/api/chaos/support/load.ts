import { setTimeout as sleep } from "node:timers/promises";
import type { History } from "./history.js";
import { call, versionOf } from "./http.js";

export interface LoadOptions {
  /** Instance base URLs (read on every call, so a respawned instance is picked up). */
  urls: () => string[];
  /** Ids read at random. */
  readIds: number[];
  /** Ids written; each writer loop owns a disjoint share, so versions per id only grow. */
  writeIds: number[];
  readers: number;
  writers: number;
  /** Pause between two calls of one loop, in ms (bounds the traffic). */
  pauseMs: number;
  /** After each acknowledged write, read the id at once on another instance (races the bus). */
  chaseWrites?: boolean;
  /** The next version of each written id (shared across runs of the same environment). */
  versions: Map<number, number>;
}

/**
 * Steady, bounded traffic: `readers` loops of user.byId and `writers` loops of
 * user.update (`displayName: v<n>`), spread over the instances in turn, every
 * call recorded in the history. Instances in `down` are skipped, the way a
 * load balancer stops sending to a dead backend.
 */
export class Load {
  readonly down = new Set<number>();
  writesPaused = false;
  /** Writes sent and not yet answered. */
  private writesInFlight = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private turn = 0;

  constructor(
    private readonly options: LoadOptions,
    private readonly history: History,
  ) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < this.options.readers; i++) this.loops.push(this.readLoop());
    for (let i = 0; i < this.options.writers; i++) this.loops.push(this.writeLoop(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  private pick(): number {
    const count = this.options.urls().length;
    for (let i = 0; i < count; i++) {
      const index = this.turn++ % count;
      if (!this.down.has(index)) return index;
    }
    return 0;
  }

  private async readLoop(): Promise<void> {
    const { readIds } = this.options;
    while (this.running) {
      const id = readIds[Math.floor(Math.random() * readIds.length)] as number;
      const instance = this.pick();
      const startAt = Date.now();
      // 10 s like a patient load balancer: a waiter may legitimately wait out a lost lock (lockWaitTimeoutMs, 5 s).
      const result = await call(this.options.urls()[instance] as string, "user.byId", { id }, false, 10_000);
      this.history.addRead({
        id,
        instance,
        startAt,
        endAt: Date.now(),
        ok: result.ok,
        status: result.status,
        version: versionOf(result.body),
        // Taken down while this call was in flight: its failure is the dead backend's.
        cutOff: !result.ok && this.down.has(instance),
      });
      await sleep(this.options.pauseMs);
    }
  }

  /** Stops new writes and waits (bounded) for those under way to be answered. */
  async pauseWrites(timeoutMs = 10_000): Promise<void> {
    this.writesPaused = true;
    const deadline = Date.now() + timeoutMs;
    while (this.writesInFlight > 0) {
      if (Date.now() > deadline) throw new Error(`${this.writesInFlight} writes still unanswered after ${timeoutMs} ms`);
      await sleep(5);
    }
  }

  private async writeLoop(writer: number): Promise<void> {
    const mine = this.options.writeIds.filter((_, i) => i % this.options.writers === writer);
    while (this.running) {
      if (this.writesPaused) {
        await sleep(this.options.pauseMs);
        continue;
      }
      const id = mine[Math.floor(Math.random() * mine.length)] as number;
      const version = (this.options.versions.get(id) ?? 0) + 1;
      this.options.versions.set(id, version);
      const instance = this.pick();
      const startAt = Date.now();
      this.writesInFlight++;
      const result = await call(
        this.options.urls()[instance] as string,
        "user.update",
        { id, patch: { displayName: `v${version}` } },
        true,
      ).finally(() => this.writesInFlight--);
      if (result.ok) this.history.addWrite({ id, version, instance, startAt, ackAt: Date.now() });
      else this.history.failedWrites.push({ id, startAt, status: result.status });
      if (result.ok && this.options.chaseWrites) {
        const other = (instance + 1 + Math.floor(Math.random() * (this.options.urls().length - 1))) % this.options.urls().length;
        const readAt = Date.now();
        const read = await call(this.options.urls()[other] as string, "user.byId", { id }, false, 10_000);
        this.history.addRead({
          id,
          instance: other,
          startAt: readAt,
          endAt: Date.now(),
          ok: read.ok,
          status: read.status,
          version: versionOf(read.body),
        });
      }
      await sleep(this.options.pauseMs);
    }
  }
}
