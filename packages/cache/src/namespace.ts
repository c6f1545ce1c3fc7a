import type { EntryCodec } from "./encoding/entry-codec.js";
import type { CacheId, KeySpace } from "./encoding/keys.js";
import { CacheClosedError, InvalidOptionError } from "./errors.js";
import type { NamespaceStats } from "./observability/stats.js";
import { traceL1Hit, tracingOnAt } from "./observability/tracing.js";
import { type EntryPolicy, type GetOrSetOptions, validateCallOptions } from "./options.js";
import { BatchLoad } from "./read/batch-load.js";
import type { CacheContext } from "./read/cache-context.js";
import type { BatchLoader, DetailedResult, Loader, Resolved } from "./read/namespace-types.js";
import { ReadPath } from "./read/read-path.js";
import { type InspectPage, inspectL1, inspectL2 } from "./tiers/inspect.js";
import { type PeekedEntry, peekEntry } from "./tiers/peek.js";
import type { AfterWriteResult, VersionedSetResult, WritePolicy } from "./write/versions.js";
import { type DeleteOptions, type SetOptions, WritePath } from "./write/write-path.js";

export type { BatchLoader, DetailedResult, Loader, ResultSource } from "./read/namespace-types.js";
export type { AfterWriteResult, VersionedSetResult, WritePolicy } from "./write/versions.js";
export type { DeleteOptions, SetOptions } from "./write/write-path.js";

/**
 * A typed view of one namespace: `{prefix}:{name}:v{version}:{id}`.
 * Every method falls through to the loader (or reports "not cached") when
 * Redis fails; only loader failures and explicit timeouts reach the caller.
 * Create it with `cache.namespace(name, options)`.
 */
export class Namespace<T> {
  /** The namespace name. */
  readonly name: string;
  /** What {@link afterWrite} does with a committed change (the `writePolicy` option). */
  readonly writePolicy: WritePolicy;
  readonly #keys: KeySpace;
  readonly #read: ReadPath<T>;
  readonly #write: WritePath<T>;
  readonly #batch: BatchLoad<T>;
  readonly #context: CacheContext;
  /** `l1Values: "cloned"`: every value handed out is the caller's own copy. */
  readonly #clone: boolean;

  /** @internal Built by `cache.namespace()`. */
  constructor(
    context: CacheContext,
    name: string,
    keys: KeySpace,
    codec: EntryCodec<T>,
    policy: Readonly<EntryPolicy>,
    stats: NamespaceStats,
    useL1: boolean,
    clone = false,
    writes: { policy: WritePolicy; versionFenceTtlMs: number } = { policy: "invalidate", versionFenceTtlMs: 60_000 },
  ) {
    this.name = name;
    this.writePolicy = writes.policy;
    this.#clone = clone;
    this.#keys = keys;
    this.#context = context;
    this.#read = new ReadPath(context, name, keys, codec, policy, stats, useL1);
    this.#write = new WritePath(context, name, keys, codec, policy, stats, useL1);
    this.#write.versionFenceTtlMs = writes.versionFenceTtlMs;
    this.#batch = new BatchLoad(this.#read);
  }

  /** The schema version of the stored values (part of every key). */
  get version(): number {
    return this.#keys.version;
  }

  /**
   * Moves this namespace, in this process, to another version at run time:
   * every later read and write uses `{prefix}:{name}:v{version}:…`, so the
   * entries of the old version become unreachable here at once (they stay in
   * Redis until their TTL; going back reaches them again, so clear them first
   * if writes went on meanwhile). This process's L1 copies are dropped, and
   * loads under way fill only their old key. Other processes keep their
   * version until they are told (a fleet changes it together, e.g. on a deploy
   * or a message of the app's own). Throws `InvalidOptionError` unless
   * `version` is a positive integer.
   */
  setVersion(version: number): void {
    this.#context.assertOpen();
    if (!Number.isSafeInteger(version) || version < 1)
      throw new InvalidOptionError(`Invalid "version" ${String(version)} for namespace "${this.name}": use an integer of 1 or more.`);
    if (version === this.#keys.version) return;
    this.#keys.useVersion(version);
    // L1 entries are keyed by their full key, so old ones are unreachable already; the epoch also drops them from inspect() and fences L1 fills of loads under way.
    this.#context.marks.bumpEpoch(this.#keys.namespacePrefix);
  }

  /** The namespace's policy: the cache's defaults with this namespace's overrides. */
  get policy(): Readonly<EntryPolicy> {
    return this.#read.policy;
  }

  /**
   * Cache-aside read: L1, then L2, then `loader`, whose result is stored in
   * both tiers. Concurrent misses share one load per `protection`. Returns
   * null for ids the loader reported absent.
   */
  getOrSet(id: CacheId, loader: Loader<T>, options?: GetOrSetOptions): Promise<T | null> {
    // Not async (one promise fewer per L2 hit): whatever throws here becomes the returned rejection.
    try {
      const key = this.#keys.valueKey(id);
      const read = this.#read;
      if (read.useL1) {
        // The same checks as the slow path, before any answer: a closed cache answers nothing, bad options throw.
        if (read.lifecycle.closed) throw new CacheClosedError();
        if (options) validateCallOptions(options);
        const entry = read.freshFromL1(key);
        if (entry !== undefined) {
          if (tracingOnAt(read.checkedAt)) traceL1Hit(this.name, options?.protection ?? read.policy.protection, entry.negative);
          read.refresh.maybeRefreshEarly(key, id, entry, read.checkedAt, loader, options);
          return Promise.resolve(this.#clone ? structuredClone(entry.value as T | null) : (entry.value as T | null));
        }
      }
      return read.getOrSetValue(key, id, loader, options, this.#clone);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `getOrSet` that also says where the value came from (`l1`, `l2`,
   * `lock-wait`, `loader`, `coalesced`, `stale`) and how long the call took.
   * For tools and labs; the hot path is `getOrSet`.
   */
  async getOrSetDetailed(id: CacheId, loader: Loader<T>, options?: GetOrSetOptions): Promise<DetailedResult<T>> {
    const started = performance.now();
    const key = this.#keys.valueKey(id);
    const read = this.#read;
    read.assertOpen();
    if (options) validateCallOptions(options);
    const entry = read.useL1 ? read.freshFromL1(key) : undefined;
    if (entry) {
      if (tracingOnAt(read.checkedAt)) traceL1Hit(this.name, options?.protection ?? read.policy.protection, entry.negative);
      read.refresh.maybeRefreshEarly(key, id, entry, read.checkedAt, loader, options);
    }
    const resolved: Resolved<T> =
      entry !== undefined ? { value: entry.value as T | null, source: "l1" } : await read.getOrSet(key, id, loader, options);
    const value = this.#clone ? structuredClone(resolved.value) : resolved.value;
    return { source: resolved.source, value, negative: value === null, ms: performance.now() - started };
  }

  /**
   * Fetches many ids with one read per tier and one `batchLoader` call for the
   * misses. Results are aligned with `ids`; absent ids are null. Concurrent
   * `getOrSet` calls for ids being loaded here join this load; with distributed
   * protection, ids another process is loading are waited on and the rest loaded
   * at once. If the loader fails, ids with a stale copy (within grace) get it;
   * when some have none, rejects with a `BatchLoadError` naming them.
   */
  async getOrSetMany(ids: CacheId[], batchLoader: BatchLoader<T>, options?: GetOrSetOptions): Promise<(T | null)[]> {
    const values = await this.#batch.getOrSetMany(ids, batchLoader, options);
    return this.#clone ? values.map((value) => structuredClone(value)) : values;
  }

  /** The cached value: T, null for a cached "absent" marker, or undefined when nothing fresh is cached. */
  async get(id: CacheId): Promise<T | null | undefined> {
    const key = this.#keys.valueKey(id);
    this.#read.assertOpen();
    const l1 = this.#read.useL1 ? this.#read.freshFromL1(key) : undefined;
    const value = l1 !== undefined ? (l1.value as T | null) : await this.#read.get(key);
    return this.#clone ? structuredClone(value) : value;
  }

  /** Whether a fresh entry (a value or an "absent" marker) is cached in either tier. */
  has(id: CacheId): Promise<boolean> {
    return this.#read.has(this.#keys.valueKey(id));
  }

  /**
   * Stores a value (null stores an "absent" marker). Voids the leases of loads
   * under way, so none of them can overwrite it, and tells other processes.
   * Resolves false when Redis could not be reached: the key is then deleted
   * from L2 (and published) as soon as Redis answers again.
   *
   * With `{ version }` the set is ordered: it lands only if `version` is above
   * every version set or deleted before for this id (compared atomically in
   * Redis), and resolves a {@link VersionedSetResult} saying whether it was
   * stored or refused as not newer. A refused set changes nothing; every L1
   * drops its copy when a set lands, so all follow the winner.
   */
  set(id: CacheId, value: T | null, options: SetOptions & { version: number }): Promise<VersionedSetResult>;
  set(id: CacheId, value: T | null, options?: SetOptions): Promise<boolean>;
  set(id: CacheId, value: T | null, options?: SetOptions): Promise<boolean | VersionedSetResult> {
    const key = this.#keys.valueKey(id);
    if (options?.version !== undefined) return this.#write.setVersioned(key, value, options as SetOptions & { version: number });
    return this.#write.set(key, value, options);
  }

  /**
   * Removes an id from both tiers, voids loads under way, and tells other
   * processes. Resolves false when Redis could not be reached: the delete is
   * then kept and replayed as soon as Redis answers again. With `{ version }`
   * it is ordered like a versioned set: it lands only above the id's version
   * fence and raises it, so later sets of that version or older are refused
   * (for `versionFenceTtlMs` at least; a replayed delete is unordered).
   */
  delete(id: CacheId, options?: DeleteOptions): Promise<boolean> {
    return this.#write.delete(this.#keys.valueKey(id), options?.version);
  }

  /**
   * Tells the cache that the source committed a change of `id` (`value`, null when the row is
   * gone) at `version`, and applies the namespace's `writePolicy`: `invalidate` deletes the entry
   * (ordered by `version`); `write-through` sets the new value with its version and, when that set
   * is refused as not newer or cannot reach Redis, deletes the entry instead (unordered: whatever a
   * refusing newer write left is dropped too, a miss rather than a doubt). Call it after the
   * commit, never before.
   */
  async afterWrite(id: CacheId, value: T | null, options: SetOptions & { version: number }): Promise<AfterWriteResult> {
    if (this.writePolicy === "write-through" && value !== null) {
      const set = await this.set(id, value, options);
      if (set.outcome === "stored") return { outcome: "stored" };
      const deleted = await this.delete(id);
      return deleted ? { outcome: "invalidated", reason: set.outcome } : { outcome: "unavailable" };
    }
    const deleted = await this.delete(id, { version: options.version });
    return deleted ? { outcome: "invalidated", reason: "policy" } : { outcome: "unavailable" };
  }

  /**
   * Makes an id stale now, keeping it for its grace period (stale-while-revalidate
   * on demand): the next read anywhere returns the stale value at once and
   * refreshes it in the background (one load in the cluster, under the lock);
   * a read after that refresh gets the new value. Loads under way are voided
   * and every process drops its L1 copy. An absent marker (no grace) is deleted.
   * Resolves false when Redis could not be reached (the id is then deleted
   * when it answers again).
   */
  expire(id: CacheId): Promise<boolean> {
    return this.#write.expire(this.#keys.valueKey(id));
  }

  /**
   * Invalidates every entry of this namespace (all versions): L1 at once by
   * epoch, L2 by SCAN + UNLINK in batches (never KEYS, never blocking Redis),
   * then other processes through the bus. Returns the L2 keys removed (0 when
   * Redis could not be reached: the clear is then replayed when it answers).
   */
  clear(): Promise<number> {
    return this.#write.clear();
  }

  /**
   * Browses this namespace version's entries: this process's L1, or L2 by
   * SCAN, a page at a time. Pass the returned cursor to continue ("0" = done).
   */
  async inspect(options: { tier: "l1" | "l2"; limit?: number; cursor?: string }): Promise<InspectPage> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 1_000);
    if (options.tier === "l1")
      return this.#read.useL1
        ? inspectL1(this.#context, this.#keys, limit, Number(options.cursor ?? "0") || 0)
        : { entries: [], cursor: "0" };
    return inspectL2(this.#context, this.#keys, this.#read.codec as EntryCodec<unknown>, limit, options.cursor ?? "0");
  }

  /**
   * What both tiers hold for one id (this process's L1, and L2 with its raw
   * bytes), without touching recency, filling or counting. For tools.
   */
  peek(id: CacheId): Promise<PeekedEntry> {
    this.#context.assertOpen();
    return peekEntry(this.#context, this.#keys, this.#read.codec as EntryCodec<unknown>, id, this.#read.useL1);
  }
}
