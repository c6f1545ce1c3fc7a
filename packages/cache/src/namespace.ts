import { BatchLoad } from "./batch-load.js";
import type { CacheContext } from "./cache-context.js";
import { EarlyRefresh, refreshFlightKey } from "./early-refresh.js";
import type { EntryCodec } from "./entry-codec.js";
import { type InspectPage, inspectL1, inspectL2 } from "./inspect.js";
import { jitterTtl } from "./jitter.js";
import { type CacheId, type KeySpace, leaseKeyOf } from "./keys.js";
import { UNAVAILABLE } from "./l2-store.js";
import { LoadPath } from "./load-path.js";
import { softTimeout } from "./loader-runner.js";
import { NamespaceCore } from "./namespace-core.js";
import type { BatchLoader, DetailedResult, Loader, Resolved } from "./namespace-types.js";
import { type CallOptions, type EntryPolicy, validateCallOptions } from "./options.js";
import { mergePolicy } from "./policy.js";
import type { NamespaceStats } from "./stats.js";

export type { BatchLoader, DetailedResult, Loader, ResultSource } from "./namespace-types.js";

/**
 * A typed view of one namespace: `{prefix}:{name}:v{version}:{id}`.
 * Every method falls through to the loader (or reports "not cached") when
 * Redis fails; only loader failures and explicit timeouts reach the caller.
 */
export class Namespace<T> {
  private readonly core: NamespaceCore<T>;
  private readonly loadPath: LoadPath<T>;
  private readonly refresh: EarlyRefresh<T>;
  private readonly batch: BatchLoad<T>;

  constructor(
    context: CacheContext,
    readonly name: string,
    readonly keys: KeySpace,
    codec: EntryCodec<T>,
    readonly policy: Readonly<EntryPolicy>,
    stats: NamespaceStats,
    useL1: boolean,
  ) {
    this.core = new NamespaceCore(context, name, keys, codec, policy, stats, useL1);
    this.loadPath = new LoadPath(this.core);
    this.refresh = new EarlyRefresh(this.core, this.loadPath);
    this.batch = new BatchLoad(this.core, this.loadPath);
  }

  get version(): number {
    return this.keys.version;
  }

  /**
   * Cache-aside read: L1, then L2, then `loader`, whose result is stored in
   * both tiers. Concurrent misses share one load per `protection`. Returns
   * null for ids the loader reported absent.
   */
  async getOrSet(id: CacheId, loader: Loader<T>, options?: CallOptions): Promise<T | null> {
    const key = this.keys.valueKey(id);
    if (this.core.useL1) {
      const entry = this.core.freshFromL1(key);
      if (entry !== undefined) {
        this.refresh.maybeRefreshEarly(key, id, entry, this.core.checkedAt, loader, options);
        return entry.value as T | null;
      }
    }
    return (await this.getOrSetTimed(key, id, loader, options)).value;
  }

  /**
   * `getOrSet` that also says where the value came from (`l1`, `l2`,
   * `lock-wait`, `loader`, `coalesced`, `stale`) and how long the call took.
   * For tools and labs; the hot path is `getOrSet`.
   */
  async getOrSetDetailed(id: CacheId, loader: Loader<T>, options?: CallOptions): Promise<DetailedResult<T>> {
    const started = performance.now();
    const key = this.keys.valueKey(id);
    const entry = this.core.useL1 ? this.core.freshFromL1(key) : undefined;
    if (entry) this.refresh.maybeRefreshEarly(key, id, entry, this.core.checkedAt, loader, options);
    const resolved: Resolved<T> =
      entry !== undefined ? { value: entry.value as T | null, source: "l1" } : await this.getOrSetTimed(key, id, loader, options);
    return { ...resolved, negative: resolved.value === null, ms: performance.now() - started };
  }

  /**
   * Fetches many ids with one read per tier and one `batchLoader` call for the
   * misses. Results are aligned with `ids`; absent ids are null. Concurrent
   * `getOrSet` calls for ids being loaded here join this load.
   */
  getOrSetMany(ids: CacheId[], batchLoader: BatchLoader<T>, options?: CallOptions): Promise<(T | null)[]> {
    return this.batch.getOrSetMany(ids, batchLoader, options);
  }

  /** The slow path, timed: single flight (per protection), then L2 and the loader. */
  private getOrSetTimed(key: string, id: CacheId, loader: Loader<T>, options?: CallOptions): Promise<Resolved<T>> {
    this.core.context.assertOpen();
    const started = performance.now();
    const resolved = this.getOrSetSlow(key, id, loader, options);
    const record = () => this.core.stats.record("getOrSet", performance.now() - started);
    resolved.then(record, record);
    return resolved;
  }

  private async getOrSetSlow(key: string, id: CacheId, loader: Loader<T>, options?: CallOptions): Promise<Resolved<T>> {
    if (options) validateCallOptions(options);
    const policy = mergePolicy(this.policy, options);
    // An early refresh of this key is under way: its result is about to land; wait for it rather than load again.
    const refreshing = this.refresh.running > 0 ? this.core.context.flights.current(refreshFlightKey(key)) : undefined;
    if (refreshing) {
      const settled = refreshing.then(
        () => undefined,
        () => undefined,
      );
      if (policy.softTimeoutMs > 0) {
        // Bounded: past the soft timeout the normal path serves the stale copy.
        const timer = softTimeout(policy.softTimeoutMs);
        await Promise.race([settled, timer.promise]);
        timer.cancel();
      } else {
        await settled;
      }
      const refreshed = this.core.useL1 ? this.core.freshFromL1(key) : undefined;
      if (refreshed) return { value: refreshed.value as T | null, source: "l1" };
    }
    if (policy.protection === "none") return this.resolveMiss(key, id, loader, policy);
    const running = this.core.context.flights.current<Resolved<T>>(key);
    if (running) {
      this.core.stats.counters.coalesced++;
      this.core.context.events.emit("coalesced", () => ({ namespace: this.name, key }));
      return { value: (await running).value, source: "coalesced" };
    }
    return this.core.context.flights.run(key, () => this.resolveMiss(key, id, loader, policy));
  }

  /** After an L1 miss: L2, then the loader (through lock and lease as the policy says). */
  private async resolveMiss(key: string, id: CacheId, loader: Loader<T>, policy: EntryPolicy): Promise<Resolved<T>> {
    const mark = this.core.context.invalidationMark();
    const epoch = this.core.epoch.value;
    let stale = this.core.staleFromL1(key);
    // Inlined readL2: one await fewer on the path every L2 hit takes.
    const raw = await this.core.context.l2?.get(key);
    let fromL2 = raw === undefined || raw === UNAVAILABLE || raw === null ? undefined : this.core.decodeOrDrop(key, raw);
    if (fromL2 instanceof Promise) fromL2 = await fromL2;
    if (fromL2) {
      const now = this.core.context.clock.now();
      if (now < fromL2.freshUntil) {
        this.core.countHit(key, "l2", fromL2.negative);
        this.core.fillL1(key, fromL2, mark, epoch);
        this.refresh.maybeRefreshEarly(key, id, fromL2, now, loader, policy);
        return { value: fromL2.value, source: "l2" };
      }
      if (now < fromL2.staleUntil) stale = fromL2;
    }
    if (this.core.context.l2) this.core.stats.counters.l2Misses++;
    this.core.stats.counters.misses++;
    this.core.context.events.emit("miss", () => ({ namespace: this.name, key }));
    return this.loadPath.load(key, id, loader, policy, stale, mark, epoch);
  }

  /** The cached value: T, null for a cached "absent" marker, or undefined when nothing fresh is cached. */
  async get(id: CacheId): Promise<T | null | undefined> {
    const key = this.keys.valueKey(id);
    const l1 = this.core.useL1 ? this.core.freshFromL1(key) : undefined;
    if (l1 !== undefined) return l1.value as T | null;
    this.core.context.assertOpen();
    const started = performance.now();
    const mark = this.core.context.invalidationMark();
    const epoch = this.core.epoch.value;
    const entry = await this.core.readL2(key);
    this.core.stats.record("get", performance.now() - started);
    if (entry && this.core.context.clock.now() < entry.freshUntil) {
      this.core.countHit(key, "l2", entry.negative);
      this.core.fillL1(key, entry, mark, epoch);
      return entry.value;
    }
    if (this.core.context.l2) this.core.stats.counters.l2Misses++;
    return undefined;
  }

  /** Whether a fresh entry (a value or an "absent" marker) is cached in either tier. */
  async has(id: CacheId): Promise<boolean> {
    this.core.context.assertOpen();
    const key = this.keys.valueKey(id);
    const now = this.core.context.clock.now();
    const l1 = this.core.useL1 ? this.core.context.l1?.get(key, now) : undefined;
    if (l1 && l1.epoch === this.core.epoch.value && now < l1.freshUntil) return true;
    const raw = await this.core.context.l2?.get(key);
    if (!raw || raw === UNAVAILABLE) return false;
    try {
      return now < this.core.codec.meta(raw).freshUntil;
    } catch {
      return false;
    }
  }

  /**
   * Stores a value (null stores an "absent" marker). Voids the leases of loads
   * under way, so none of them can overwrite it, and tells other processes.
   * Resolves false when Redis could not be reached: the key is then deleted
   * from L2 (and published) as soon as Redis answers again.
   */
  async set(id: CacheId, value: T | null, options?: Pick<CallOptions, "ttlMs" | "negativeTtlMs" | "graceMs" | "jitter">): Promise<boolean> {
    this.core.context.assertOpen();
    if (options) validateCallOptions(options);
    const policy = mergePolicy(this.policy, options);
    const started = performance.now();
    const key = this.keys.valueKey(id);
    const negative = value === null || value === undefined;
    const now = this.core.context.clock.now();
    const freshUntil = now + jitterTtl(negative ? policy.negativeTtlMs : policy.ttlMs, policy.jitter, this.core.context.random);
    const staleUntil = freshUntil + (negative ? 0 : policy.graceMs);
    const encoded = this.core.codec.encode(value, { freshUntil, staleUntil, loadMs: 0 }).bytes;
    const entry = await this.core.codec.decode(encoded);
    this.core.context.noteInvalidation(key);
    const mark = this.core.context.invalidationMark();
    const written = await this.core.context.l2?.write({ value: key, lease: leaseKeyOf(key) }, encoded, staleUntil - now, () =>
      this.core.busMessage("inv", key),
    );
    this.core.stats.counters.sets++;
    this.core.stats.record("set", performance.now() - started);
    if (written === UNAVAILABLE) {
      // L2 keeps whatever it had: delete it there once Redis answers, and keep this value out of L1 meanwhile.
      this.core.context.pending.addKey(key);
      this.core.context.l1?.delete(key);
      return false;
    }
    this.core.fillL1(key, entry, mark, this.core.epoch.value);
    return true;
  }

  /**
   * Removes an id from both tiers, voids loads under way, and tells other
   * processes. Resolves false when Redis could not be reached: the delete is
   * then kept and replayed as soon as Redis answers again.
   */
  async delete(id: CacheId): Promise<boolean> {
    this.core.context.assertOpen();
    const started = performance.now();
    const key = this.keys.valueKey(id);
    this.core.context.noteInvalidation(key);
    this.core.context.l1?.delete(key);
    const written = await this.core.context.l2?.write({ value: key, lease: leaseKeyOf(key) }, null, 0, () =>
      this.core.busMessage("inv", key),
    );
    // Drop again: a load that finished while the delete was in flight may have refilled L1.
    this.core.context.l1?.delete(key);
    this.core.stats.counters.deletes++;
    this.core.stats.record("delete", performance.now() - started);
    if (written === UNAVAILABLE) {
      this.core.context.pending.addKey(key);
      return false;
    }
    return true;
  }

  /**
   * Invalidates every entry of this namespace (all versions): L1 at once by
   * epoch, L2 by SCAN + UNLINK in batches (never KEYS, never blocking Redis),
   * then other processes through the bus. Returns the L2 keys removed (0 when
   * Redis could not be reached: the clear is then replayed when it answers).
   */
  async clear(): Promise<number> {
    this.core.context.assertOpen();
    const prefix = this.keys.namespacePrefix;
    this.core.context.bumpEpoch(prefix);
    this.core.stats.counters.clears++;
    const l2 = this.core.context.l2;
    if (!l2) return 0;
    const removed = await l2.clearNamespace(prefix, this.core.context.leaseTtlMs);
    // Again after the scan: a read in this process during it may have put an old L2 value in L1.
    this.core.context.bumpEpoch(prefix);
    if (removed === UNAVAILABLE) {
      this.core.context.pending.addNamespace(prefix);
      return 0;
    }
    await l2.publish(() => this.core.busMessage("clear", prefix));
    return removed;
  }

  /**
   * Browses this namespace version's entries: this process's L1, or L2 by
   * SCAN, a page at a time. Pass the returned cursor to continue ("0" = done).
   */
  async inspect(options: { tier: "l1" | "l2"; limit?: number; cursor?: string }): Promise<InspectPage> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 1_000);
    if (options.tier === "l1")
      return this.core.useL1
        ? inspectL1(this.core.context, this.keys, limit, Number(options.cursor ?? "0") || 0)
        : { entries: [], cursor: "0" };
    return inspectL2(this.core.context, this.keys, this.core.codec as EntryCodec<unknown>, limit, options.cursor ?? "0");
  }
}
