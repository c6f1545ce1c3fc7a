import { type Redis, ReplyError } from "ioredis";
import type { LockKeys } from "../coordination/lock-wait.js";
import { ConnectionError } from "../errors.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import { Generations, newGeneration } from "./generation.js";
import { ReadBatcher } from "./read-batcher.js";
import type { RedisClient, ScriptedClient } from "./redis-connection.js";

/** Returned by every L2 call that could not reach Redis; callers fall through to the loader. */
export const UNAVAILABLE: unique symbol = Symbol("hoard.l2.unavailable");
export type Unavailable = typeof UNAVAILABLE;

/**
 * Builds the bus message for a write, called only once the command is really
 * being sent, so a skipped command never consumes a sequence number.
 * `channel` "" publishes nothing.
 */
export type BusMessageFactory = () => { channel: string; message: string };

/** Result of asking for the right to load a key. */
export interface AcquireResult {
  /** The lease (and the lock, if asked for) is ours. */
  acquired: boolean;
  /** A still-fresh value that was already stored, returned instead of acquiring. */
  existing: Buffer | null;
  /** When another process holds the lock: how long until it lapses unless renewed, in ms (else -1). */
  lockPttlMs: number;
}

/**
 * The Redis tier. Every call goes through the circuit breaker and is skipped
 * while the client is not connected, so a dead or slow Redis costs callers
 * nothing beyond one command timeout before the breaker opens. Failures are
 * reported to `onError` and turned into {@link UNAVAILABLE}, never thrown.
 */
export class L2Store {
  constructor(
    readonly client: ScriptedClient,
    private readonly breaker: CircuitBreaker,
    private readonly onError: (error: ConnectionError) => void,
    /** Called with the round-trip time of every successful call, in ms. */
    private readonly onRoundTrip: (ms: number) => void,
  ) {}

  /**
   * Called with a lock key and token when a lock acquire was sent but its
   * answer was lost (timeout, dropped connection): Redis may still run it, and
   * the lock would then belong to nobody. The cache frees it by token as soon
   * as Redis answers again.
   */
  onLockInDoubt: (lockKey: string, token: string) => void = () => {};

  /** Replicas that must confirm a delete (`CacheOptions.replicaAcks`), and how long to wait for them. */
  replicaAcks = { count: 0, timeoutMs: 100 };

  get isCluster(): boolean {
    return this.client.isCluster === true;
  }

  /** Where each namespace's clear generation lives (one key, or one copy per slot on a cluster). */
  get generations(): Generations {
    this.#generations ??= new Generations(this.isCluster);
    return this.#generations;
  }
  #generations: Generations | undefined;

  /**
   * Clears a namespace: first a new clear generation (every copy), which
   * fences the fills of all loads begun before it at once; then the SCAN +
   * UNLINK sweep of its keys, which removes what was filled before the fence.
   * Never a KEYS or a long script. Returns the keys removed.
   */
  async clearNamespace(namespacePrefix: string, leaseTtlMs: number): Promise<number | Unavailable> {
    const generation = newGeneration();
    const keys = this.generations.allKeys(namespacePrefix);
    const bumped = await this.run(
      "clear generation",
      async () => {
        // One pipeline per master (a cluster pipeline must stay on one node), in batches of 512 SETs (each batch well within a command timeout under load).
        for (const [node, nodeKeys] of this.byMaster(keys)) {
          for (let start = 0; start < nodeKeys.length; start += 512) {
            const pipeline = node.pipeline();
            for (const key of nodeKeys.slice(start, start + 512)) pipeline.set(key, generation, "PX", 2 * leaseTtlMs);
            const results = await this.tracked(pipeline.exec());
            const failed = results?.find(([error]) => error);
            if (failed) throw failed[0];
          }
        }
      },
      true,
    );
    const removed = await this.deleteMatching(`${namespacePrefix}v*`);
    // Without the new generation the sweep alone still ran; the whole clear is replayed so the fence is set too.
    return bumped === UNAVAILABLE ? UNAVAILABLE : removed;
  }

  /** Coalesces concurrent GETs into MGETs (single Redis, when enabled). */
  private batcher: ReadBatcher | undefined;

  /** Turns on read batching (see {@link ReadBatcher}); not for clusters. */
  batchReads(): void {
    if (this.isCluster) return;
    this.batcher = new ReadBatcher(
      (key) => this.client.getBuffer(key),
      (keys) => this.client.mgetBuffer(...keys),
    );
  }

  /** Reads per command sent by the batcher (1 when reads are not batched). */
  get readsPerCommand(): number {
    return this.batcher && this.batcher.commands > 0 ? this.batcher.reads / this.batcher.commands : 1;
  }

  /** Commands sent and not answered yet, and when the last one was answered (or the first sent). */
  private inFlight = 0;
  private lastProgressAt = 0;
  private watchdog: NodeJS.Timeout | undefined;

  /**
   * Enforces `timeoutMs` with one timer for the whole connection: when
   * commands are waiting and none has been answered for `timeoutMs`, the
   * connection is stalled (Redis paused, a network black hole). It is then
   * dropped, which fails every waiting command at once, and the breaker
   * opens; ioredis reconnects by itself. Cheaper than a timer per command,
   * which costs about a fifth of L2 throughput under load.
   */
  startWatchdog(timeoutMs: number): void {
    const every = Math.min(100, Math.max(5, Math.floor(timeoutMs / 4)));
    this.watchdog = setInterval(() => {
      if (this.inFlight > 0 && performance.now() - this.lastProgressAt > timeoutMs) {
        this.inFlight = 0;
        this.breaker.trip();
        const client = this.client as unknown as { flushQueue?(error: Error): void; disconnect(reconnect?: boolean): void };
        // Fail what waits on the stalled connection now (ioredis would otherwise keep it for the next connection).
        client.flushQueue?.(new Error(`Redis answered nothing for ${timeoutMs} ms; connection dropped`));
        client.disconnect(true);
      }
    }, every);
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.watchdog);
  }

  private sent(): void {
    if (this.inFlight++ === 0) this.lastProgressAt = performance.now();
  }

  private answered(): void {
    if (this.inFlight > 0) this.inFlight--;
    this.lastProgressAt = performance.now();
  }

  /** Whether a call would be sent now. */
  available(): boolean {
    return this.client.status === "ready" && this.breaker.allow();
  }

  /** Counts one command as waiting for the watchdog until it settles. */
  private async tracked<T>(command: Promise<T>): Promise<T> {
    this.sent();
    try {
      return await command;
    } finally {
      this.answered();
    }
  }

  /**
   * Runs `call` through the breaker. The call counts as one waiting command
   * for the watchdog, unless `tracksItself` (a SCAN loop sends many and wraps
   * each in `tracked`, so a long clear is not mistaken for a stall).
   */
  private async run<T>(operation: string, call: () => Promise<T>, tracksItself = false): Promise<T | Unavailable> {
    if (this.client.status !== "ready" || !this.breaker.allow()) return UNAVAILABLE;
    const started = performance.now();
    if (!tracksItself) this.sent();
    try {
      const result = await call();
      if (!tracksItself) this.answered();
      this.breaker.success();
      this.onRoundTrip(performance.now() - started);
      return result;
    } catch (error) {
      if (!tracksItself) this.answered();
      return this.failed(operation, error);
    }
  }

  private failed(operation: string, error: unknown): Unavailable {
    // Redis answered with an error (a bad argument, a script error): the server is up,
    // so the breaker is not told. Timeouts and connection failures open it.
    if (error instanceof ReplyError) this.breaker.success();
    else this.breaker.failure();
    this.onError(new ConnectionError(`Redis ${operation} failed: ${(error as Error).message}`, { cause: error }));
    return UNAVAILABLE;
  }

  /** GET, written out rather than through `run`: every L2 hit takes this path (two clock readings, not four). */
  async get(key: string): Promise<Buffer | null | Unavailable> {
    if (this.client.status !== "ready" || !this.breaker.allow()) return UNAVAILABLE;
    const started = performance.now();
    // With nothing else waiting on Redis there is nothing to batch with: send at once.
    const batch = this.batcher !== undefined && this.inFlight > 0;
    // sent() and answered(), with the readings this call takes anyway.
    if (this.inFlight++ === 0) this.lastProgressAt = started;
    let value: Buffer | null;
    try {
      value = await (batch ? (this.batcher as ReadBatcher).get(key) : this.client.getBuffer(key));
    } catch (error) {
      this.answered();
      return this.failed("GET", error);
    }
    const answeredAt = performance.now();
    if (this.inFlight > 0) this.inFlight--;
    this.lastProgressAt = answeredAt;
    this.breaker.success();
    this.onRoundTrip(answeredAt - started);
    return value;
  }

  /** One round trip for many keys: MGET on a single server, concurrent GETs (auto-grouped per node) on a cluster. */
  mget(keys: string[]): Promise<(Buffer | null)[] | Unavailable> {
    if (keys.length === 0) return Promise.resolve([]);
    if (this.isCluster) return this.run("GET", () => Promise.all(keys.map((key) => this.client.getBuffer(key))));
    return this.run("MGET", () => this.client.mgetBuffer(...keys));
  }

  async acquire(
    keys: LockKeys,
    token: string,
    options: { leaseTtlMs: number; lockTtlMs: number; wantLock: boolean; nowMs: number },
  ): Promise<AcquireResult | Unavailable> {
    let sent = false;
    const reply = await this.run("acquire", () => {
      sent = true;
      return this.client.hoardAcquireBuffer(
        keys.value,
        keys.lease,
        keys.lock,
        keys.generation,
        token,
        options.leaseTtlMs,
        options.lockTtlMs,
        options.wantLock ? "1" : "0",
        options.nowMs,
      );
    });
    if (reply === UNAVAILABLE) {
      if (sent && options.wantLock) this.onLockInDoubt(keys.lock, token);
      return UNAVAILABLE;
    }
    const pttl = reply[2];
    return { acquired: Number(reply[0]) === 1, existing: reply[1] ?? null, lockPttlMs: typeof pttl === "number" && pttl >= 0 ? pttl : -1 };
  }

  /** Extends a lock we hold; false when it is no longer ours. */
  async renew(lockKey: string, token: string, lockTtlMs: number): Promise<boolean | Unavailable> {
    const reply = await this.run("renew", () => this.client.hoardRenew(lockKey, token, lockTtlMs));
    return reply === UNAVAILABLE ? UNAVAILABLE : Number(reply) === 1;
  }

  /** Fenced fill; true when the value was written. */
  async fill(keys: LockKeys, token: string, payload: Buffer, pxMs: number, bus: BusMessageFactory): Promise<boolean | Unavailable> {
    const reply = await this.run("fill", () => {
      const { channel, message } = bus();
      return this.client.hoardFill(
        keys.value,
        keys.lease,
        keys.lock,
        keys.generation,
        token,
        payload,
        Math.max(1, Math.ceil(pxMs)),
        channel,
        message,
      );
    });
    return reply === UNAVAILABLE ? UNAVAILABLE : Number(reply) === 1;
  }

  /** Unfenced write (`payload`) or delete (`null`) that voids leases and publishes. */
  async write(
    keys: { value: string; lease: string },
    payload: Buffer | null,
    pxMs: number,
    bus: BusMessageFactory,
  ): Promise<true | Unavailable> {
    const reply = await this.run(payload ? "set" : "delete", async () => {
      const { channel, message } = bus();
      const written = await this.client.hoardWrite(keys.value, keys.lease, payload ?? "", Math.max(1, Math.ceil(pxMs)), channel, message);
      if (!payload) await this.confirmedByReplicas(keys.value);
      return written;
    });
    return reply === UNAVAILABLE ? UNAVAILABLE : true;
  }

  /**
   * With `replicaAcks`, waits until that many replicas have what this connection wrote (`WAIT`, sent in a
   * pipeline with a read of `key`, so that on a cluster it reaches the key's master over the connection the
   * write went out on). Throws when fewer confirm: the caller's delete then counts as not done, and is replayed.
   */
  private async confirmedByReplicas(key: string): Promise<void> {
    const { count, timeoutMs } = this.replicaAcks;
    if (count === 0) return;
    const replies = await this.client.pipeline().exists(key).wait(count, timeoutMs).exec();
    const [error, acked] = replies?.[1] ?? [new Error("no reply")];
    if (error) throw error;
    // A ReplyError: Redis answered, so the breaker stays closed; the delete is kept pending and sent again.
    if (Number(acked) < count) throw new ReplyError(`${acked} of ${count} replicas confirmed the delete within ${timeoutMs} ms`);
  }

  /**
   * Ordered write (see `VERSIONED_WRITE_LUA`): a set or delete lands only above the fence's
   * version, and raises it. Returns whether it was written and the fence's version before it.
   */
  async versionedWrite(
    keys: { value: string; lease: string; fence: string },
    version: number,
    payload: Buffer | null,
    pxMs: number,
    fenceTtlMs: number,
    bus: BusMessageFactory,
  ): Promise<{ written: boolean; fenceVersion: number } | Unavailable> {
    const reply = await this.run(payload ? "versioned set" : "versioned delete", async () => {
      const { channel, message } = bus();
      const written = await this.client.hoardVersionedWrite(
        keys.value,
        keys.lease,
        keys.fence,
        version,
        payload ?? "",
        Math.max(1, Math.ceil(pxMs)),
        Math.max(1, Math.ceil(fenceTtlMs)),
        channel,
        message,
      );
      if (!payload) await this.confirmedByReplicas(keys.value);
      return written;
    });
    return reply === UNAVAILABLE ? UNAVAILABLE : { written: Number(reply[0]) === 1, fenceVersion: Number(reply[1]) };
  }

  /**
   * Invalidates (`inv`) or expires (`exp`) tags: takes the next number of the
   * cache-wide tag sequence, records it on every tag (one small script per tag
   * key, pipelined; never a script over many keys), then publishes. Returns the
   * number taken.
   */
  async bumpTags(
    sequenceKey: string,
    tagKeys: string[],
    kind: "inv" | "exp",
    bus: (seq: number) => BusMessageFactory,
  ): Promise<number | Unavailable> {
    return this.run("tags", async () => {
      const seq = Number(await this.client.hoardTagSequence(sequenceKey));
      await Promise.all(tagKeys.map((key) => this.client.hoardTagBump(key, kind, seq)));
      const { channel, message } = bus(seq)();
      if (channel !== "") await this.client.publish(channel, message);
      return seq;
    });
  }

  /** The stored "inv,exp" of each tag key and the cache-wide sequence, in one round trip. */
  async readTags(
    sequenceKey: string,
    tagKeys: readonly string[],
  ): Promise<{ states: { inv: number; exp: number }[]; sequence: number } | Unavailable> {
    const raw = await this.mget([...tagKeys, sequenceKey]);
    if (raw === UNAVAILABLE) return UNAVAILABLE;
    const states = tagKeys.map((_, i) => {
      const [inv, exp] = (raw[i]?.toString("latin1") ?? "0,0").split(",");
      return { inv: Number(inv) || 0, exp: Number(exp) || 0 };
    });
    return { states, sequence: Number(raw[tagKeys.length]?.toString("latin1") ?? 0) || 0 };
  }

  /** On-demand expiry of one entry (see `EXPIRE_LUA`); true when it changed. */
  async expire(keys: { value: string; lease: string }, nowMs: number, bus: BusMessageFactory): Promise<boolean | Unavailable> {
    const reply = await this.run("expire", () => {
      const { channel, message } = bus();
      return this.client.hoardExpire(keys.value, keys.lease, String(Math.round(nowMs)).padStart(13, "0"), channel, message);
    });
    return reply === UNAVAILABLE ? UNAVAILABLE : Number(reply) === 1;
  }

  /** Removes an entry found dead, only if it still holds exactly `bytes`. */
  async discard(key: string, bytes: Buffer): Promise<void> {
    await this.run("discard", () => this.client.hoardDiscard(key, bytes));
  }

  /** Compare-and-delete of a lock; publishes so waiters retry at once. */
  async release(lockKey: string, token: string, bus: BusMessageFactory): Promise<boolean | Unavailable> {
    const reply = await this.run("release", () => {
      const { channel, message } = bus();
      return this.client.hoardRelease(lockKey, token, channel, message);
    });
    return reply === UNAVAILABLE ? UNAVAILABLE : Number(reply) === 1;
  }

  /** Groups keys by the master that serves them (`keys[i]` must lie in slot i on a cluster, as generation copies do). */
  private byMaster(keys: string[]): Map<RedisClient, string[]> {
    if (!this.isCluster) return new Map([[this.client as RedisClient, keys]]);
    const cluster = this.client as unknown as { slots: string[][]; nodes(role: string): Redis[] };
    const masters = new Map<string, RedisClient>(
      cluster.nodes("master").map((node) => [`${node.options.host}:${node.options.port}`, node]),
    );
    const grouped = new Map<RedisClient, string[]>();
    keys.forEach((key, slot) => {
      const node = masters.get(cluster.slots[slot]?.[0] ?? "");
      if (!node) throw new Error(`no master serves slot ${slot}`);
      const list = grouped.get(node) ?? [];
      if (list.length === 0) grouped.set(node, list);
      list.push(key);
    });
    return grouped;
  }

  /** One SCAN step over `pattern` (on a cluster, over each master in turn). */
  scanPage(pattern: string, cursor: string, count: number): Promise<{ keys: string[]; cursor: string } | Unavailable> {
    return this.run("SCAN", async () => {
      // On a cluster the cursor is "<master index>.<that master's cursor>": the scan walks every master in turn.
      const masters = this.isCluster ? (this.client as unknown as { nodes(role: string): RedisClient[] }).nodes("master") : [this.client];
      const [nodeText, nodeCursor] = this.isCluster && cursor.includes(".") ? cursor.split(".") : ["0", cursor];
      const index = Number(nodeText);
      const node = masters[index];
      if (!node) return { keys: [], cursor: "0" };
      const [next, keys] = await (node as unknown as { scan(...args: (string | number)[]): Promise<[string, string[]]> }).scan(
        nodeCursor ?? "0",
        "MATCH",
        pattern,
        "COUNT",
        count,
      );
      if (!this.isCluster) return { keys, cursor: next };
      if (next !== "0") return { keys, cursor: `${index}.${next}` };
      return { keys, cursor: index + 1 < masters.length ? `${index + 1}.0` : "0" };
    });
  }

  /** Publishes one bus message. */
  async publish(bus: BusMessageFactory): Promise<void> {
    await this.run("PUBLISH", () => {
      const { channel, message } = bus();
      return channel === "" ? Promise.resolve(0) : this.client.publish(channel, message);
    });
  }

  async delete(key: string): Promise<void> {
    await this.run("DEL", () => this.client.del(key));
  }

  /**
   * Deletes every key matching `pattern` with SCAN + UNLINK, in batches, on
   * every master of a cluster: Redis is never blocked by a KEYS or a huge DEL.
   * Returns how many keys were removed.
   */
  async deleteMatching(pattern: string): Promise<number | Unavailable> {
    return this.run(
      "SCAN/UNLINK",
      async () => {
        const nodes: RedisClient[] = this.isCluster
          ? (this.client as unknown as { nodes(role: string): RedisClient[] }).nodes("master")
          : [this.client];
        let removed = 0;
        for (const node of nodes) removed += await unlinkMatching(node, pattern, this.isCluster, (command) => this.tracked(command));
        return removed;
      },
      true,
    );
  }
}

async function unlinkMatching(
  node: RedisClient,
  pattern: string,
  perKey: boolean,
  tracked: <T>(command: Promise<T>) => Promise<T>,
): Promise<number> {
  let cursor = "0";
  let removed = 0;
  do {
    const [next, keys] = await tracked(
      (node as unknown as { scan(...args: (string | number)[]): Promise<[string, string[]]> }).scan(cursor, "MATCH", pattern, "COUNT", 500),
    );
    cursor = next;
    if (keys.length === 0) continue;
    if (perKey) {
      // Keys of different slots cannot share one UNLINK on a cluster node.
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.unlink(key);
      await tracked(pipeline.exec());
    } else {
      await tracked(node.unlink(...keys));
    }
    removed += keys.length;
  } while (cursor !== "0");
  return removed;
}
