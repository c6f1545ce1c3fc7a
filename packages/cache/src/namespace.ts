import type { CacheContext } from "./cache-context.js";
import type { DecodedEntry, EntryCodec } from "./entry-codec.js";
import { type CacheError, LockTimeoutError } from "./errors.js";
import { type InspectPage, inspectL1, inspectL2 } from "./inspect.js";
import { jitterTtl } from "./jitter.js";
import { type CacheId, type KeySpace, leaseKeyOf, lockKeyOf } from "./keys.js";
import type { L1Entry } from "./l1-store.js";
import { UNAVAILABLE } from "./l2-store.js";
import { type LoaderContext, runLoader, SOFT_TIMEOUT, softTimeout } from "./loader-runner.js";
import { acquireOrWait, type LockKeys } from "./lock-wait.js";
import { type CallOptions, type EntryPolicy, validateCallOptions } from "./options.js";
import type { NamespaceStats } from "./stats.js";
import { newToken } from "./token.js";

/** A loader for one id; return null/undefined for "does not exist" (cached as a negative entry). */
export type Loader<T, Id extends CacheId = CacheId> = (context: LoaderContext<Id>) => T | null | undefined | Promise<T | null | undefined>;

/** A loader for many ids at once: a Map, or an array aligned with `ids`. Missing ids count as absent. */
export type BatchLoader<T, Id extends CacheId = CacheId> = (
  ids: Id[],
) => Promise<Map<Id, T | null | undefined> | (T | null | undefined)[]> | Map<Id, T | null | undefined> | (T | null | undefined)[];

/** The single-flight key of a key's background refresh. */
function refreshFlightKey(key: string): string {
  return `refresh:${key}`;
}

/** Where a `getOrSet` answer came from. */
export type ResultSource = "l1" | "l2" | "lock-wait" | "loader" | "coalesced" | "stale";

/** A value and its source, as single flights share them. */
interface Resolved<T> {
  value: T | null;
  source: ResultSource;
}

/** What `getOrSetDetailed` returns. */
export interface DetailedResult<T> extends Resolved<T> {
  /** The value is a cached or loaded "absent" marker. */
  negative: boolean;
  /** Duration of the call in ms. */
  ms: number;
}

/** An entry where a stale copy was found while looking for a fresh one. */
type StaleCandidate<T> = Pick<DecodedEntry<T>, "value" | "staleUntil">;

/**
 * A typed view of one namespace: `{prefix}:{name}:v{version}:{id}`.
 * Every method falls through to the loader (or reports "not cached") when
 * Redis fails; only loader failures and explicit timeouts reach the caller.
 */
export class Namespace<T> {
  private readonly useL1: boolean;
  /** Background refreshes under way (so the miss path looks them up only when there are some). */
  private refreshesRunning = 0;
  /** The namespace's clear epoch, shared with the cache (bumped by clear() here or on the bus). */
  private readonly epoch: { readonly value: number };

  constructor(
    private readonly context: CacheContext,
    readonly name: string,
    readonly keys: KeySpace,
    private readonly codec: EntryCodec<T>,
    readonly policy: Readonly<EntryPolicy>,
    private readonly stats: NamespaceStats,
    useL1: boolean,
  ) {
    this.useL1 = useL1 && context.l1 !== undefined;
    this.epoch = context.epochHolder(keys.namespacePrefix);
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
    const l1 = this.useL1 ? this.freshFromL1(key, id, loader, options) : undefined;
    if (l1 !== undefined) return l1.value as T | null;
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
    const l1 = this.useL1 ? this.freshFromL1(key, id, loader, options) : undefined;
    const resolved: Resolved<T> =
      l1 !== undefined ? { value: l1.value as T | null, source: "l1" } : await this.getOrSetTimed(key, id, loader, options);
    return { ...resolved, negative: resolved.value === null, ms: performance.now() - started };
  }

  private async getOrSetTimed(key: string, id: CacheId, loader: Loader<T>, options?: CallOptions): Promise<Resolved<T>> {
    this.context.assertOpen();
    const started = performance.now();
    try {
      return await this.getOrSetSlow(key, id, loader, options);
    } finally {
      this.stats.record("getOrSet", performance.now() - started);
    }
  }

  /** A fresh L1 entry (counted as a hit), or undefined (counted as an L1 miss). */
  private freshFromL1(key: string, id: CacheId, loader: Loader<T> | undefined, options?: CallOptions): L1Entry | undefined {
    const now = this.context.clock.now();
    const entry = this.context.l1?.get(key, now);
    if (entry !== undefined && entry.epoch === this.epoch.value && now < entry.freshUntil) {
      this.countHit(key, "l1", entry.negative);
      if (loader) this.maybeRefreshEarly(key, id, entry, now, loader, options);
      return entry;
    }
    this.stats.counters.l1Misses++;
    return undefined;
  }

  private async getOrSetSlow(key: string, id: CacheId, loader: Loader<T>, options?: CallOptions): Promise<Resolved<T>> {
    if (options) validateCallOptions(options);
    const policy = options ? { ...this.policy, ...options } : this.policy;
    // An early refresh of this key is under way: its result is about to land; wait for it rather than load again.
    const refreshing = this.refreshesRunning > 0 ? this.context.flights.current(refreshFlightKey(key)) : undefined;
    if (refreshing) {
      await refreshing.catch(() => {});
      const refreshed = this.useL1 ? this.freshFromL1(key, id, undefined) : undefined;
      if (refreshed) return { value: refreshed.value as T | null, source: "l1" };
    }
    if (policy.protection === "none") return this.resolveMiss(key, id, loader, policy);
    const running = this.context.flights.current<Resolved<T>>(key);
    if (running) {
      this.stats.counters.coalesced++;
      this.context.events.emit("coalesced", () => ({ namespace: this.name, key }));
      return { value: (await running).value, source: "coalesced" };
    }
    return this.context.flights.run(key, () => this.resolveMiss(key, id, loader, policy));
  }

  /** After an L1 miss: L2, then the loader (through lock and lease as the policy says). */
  private async resolveMiss(key: string, id: CacheId, loader: Loader<T>, policy: EntryPolicy): Promise<Resolved<T>> {
    const mark = this.context.invalidationMark();
    const epoch = this.epoch.value;
    let stale = this.staleFromL1(key);
    const fromL2 = await this.readL2(key);
    if (fromL2) {
      const now = this.context.clock.now();
      if (now < fromL2.freshUntil) {
        this.countHit(key, "l2", fromL2.negative);
        this.fillL1(key, fromL2, mark, epoch);
        this.maybeRefreshEarly(key, id, fromL2, now, loader, policy);
        return { value: fromL2.value, source: "l2" };
      }
      if (now < fromL2.staleUntil) stale = fromL2;
    }
    if (this.context.l2) this.stats.counters.l2Misses++;
    this.stats.counters.misses++;
    this.context.events.emit("miss", () => ({ namespace: this.name, key }));
    return this.load(key, id, loader, policy, stale, mark, epoch);
  }

  /** Takes lock and/or lease as `policy.protection` says, runs the loader with fail-safe, stores the result. */
  private async load(
    key: string,
    id: CacheId,
    loader: Loader<T>,
    policy: EntryPolicy,
    stale: StaleCandidate<T> | undefined,
    mark: number,
    epoch: number,
  ): Promise<Resolved<T>> {
    const lockKeys = this.lockKeys(key);
    const token = newToken();
    let leased = false;
    let locked = false;
    if (this.context.l2) {
      if (policy.protection === "distributed") {
        const outcome = await acquireOrWait(this.context, this.codec, lockKeys, token, {
          lockTtlMs: policy.lockTtlMs,
          waitTimeoutMs: policy.lockWaitTimeoutMs,
          onWait: () => this.stats.counters.lockWaits++,
        });
        if (outcome.kind === "value") {
          this.countHit(key, "l2", outcome.entry.negative);
          this.fillL1(key, outcome.entry, mark, epoch);
          return { value: outcome.entry.value, source: "lock-wait" };
        }
        if (outcome.kind === "acquired") {
          this.stats.counters.lockAcquired++;
          leased = locked = true;
        }
        if (outcome.kind === "timeout") {
          this.stats.counters.lockTimeouts++;
          if (stale) return { value: this.serveStale(key, stale, "lock-timeout"), source: "stale" };
          if (policy.onLockTimeout === "throw") {
            throw new LockTimeoutError(`Waited lockWaitTimeoutMs=${policy.lockWaitTimeoutMs} for another process to load "${key}".`);
          }
          leased = await this.takeLease(lockKeys, token, policy);
        }
      } else {
        leased = await this.takeLease(lockKeys, token, policy);
      }
    }
    const stored = this.loadAndStore(key, id, loader, policy, { token, leased, locked, mark, epoch, lockKeys });
    if (stale && policy.softTimeoutMs > 0) {
      const timer = softTimeout(policy.softTimeoutMs);
      const settled = stored.then(
        () => "settled" as const,
        () => "settled" as const,
      );
      const first = await Promise.race([settled, timer.promise]);
      timer.cancel();
      if (first === SOFT_TIMEOUT) {
        // The load goes on in the background and fills the cache when it lands.
        stored.catch((error) => this.context.log.warn("background load failed", error, { namespace: this.name, key }));
        return { value: this.serveStale(key, stale, "soft-timeout"), source: "stale" };
      }
    }
    try {
      return { value: await stored, source: "loader" };
    } catch (error) {
      if (stale) {
        const reason = (error as CacheError).code === "E_LOADER_TIMEOUT" ? "hard-timeout" : "loader-error";
        return { value: this.serveStale(key, stale, reason), source: "stale" };
      }
      throw error;
    }
  }

  /** Takes the lease without the lock (last taker wins; invalidations void it). */
  private async takeLease(keys: LockKeys, token: string, policy: EntryPolicy): Promise<boolean> {
    const reply = await this.context.l2?.acquire(keys, token, {
      leaseTtlMs: this.context.leaseTtlMs,
      lockTtlMs: policy.lockTtlMs,
      wantLock: false,
      nowMs: this.context.clock.now(),
    });
    return reply !== undefined && reply !== UNAVAILABLE && reply.acquired;
  }

  private async loadAndStore(
    key: string,
    id: CacheId,
    loader: Loader<T>,
    policy: EntryPolicy,
    fence: { token: string; leased: boolean; locked: boolean; mark: number; epoch: number; lockKeys: LockKeys },
  ): Promise<T | null> {
    const started = performance.now();
    let loaded: T | null | undefined;
    try {
      this.stats.counters.loads++;
      loaded = await runLoader(
        loader as (context: LoaderContext<CacheId>) => T | null | undefined | Promise<T | null | undefined>,
        id,
        policy.hardTimeoutMs,
      );
    } catch (error) {
      this.stats.counters.loadErrors++;
      if (fence.locked) {
        await this.context.l2?.release(fence.lockKeys.lock, fence.token, () => this.busMessage("rel", key));
      }
      throw error;
    }
    const loadMs = performance.now() - started;
    this.stats.record("load", loadMs);
    return this.store(key, loaded, policy, loadMs, fence);
  }

  /** Encodes and stores a loaded value: fenced in L2, then L1 unless invalidated meanwhile. Returns the decoded copy. */
  private async store(
    key: string,
    loaded: T | null | undefined,
    policy: EntryPolicy,
    loadMs: number,
    fence: { token: string; leased: boolean; locked: boolean; mark: number; epoch: number; lockKeys: LockKeys },
  ): Promise<T | null> {
    const negative = loaded === null || loaded === undefined;
    const now = this.context.clock.now();
    const ttlMs = jitterTtl(negative ? policy.negativeTtlMs : policy.ttlMs, policy.jitter, this.context.random);
    const freshUntil = now + ttlMs;
    const staleUntil = freshUntil + (negative ? 0 : policy.graceMs);
    let encoded: Buffer;
    let entry: DecodedEntry<T>;
    try {
      encoded = this.codec.encode(loaded, { freshUntil, staleUntil, loadMs }).bytes;
      entry = await this.codec.decode(encoded);
    } catch (error) {
      // A value the codec or schema rejects is served as loaded but never cached.
      this.countError("encode", error);
      if (fence.locked) await this.context.l2?.release(fence.lockKeys.lock, fence.token, () => this.busMessage("rel", key));
      return negative ? null : (loaded as T);
    }
    let accepted = true;
    if (fence.leased && this.context.l2) {
      const reply = await this.context.l2.fill(fence.lockKeys, fence.token, encoded, staleUntil - now, () => this.busMessage("fill", key));
      accepted = reply !== false;
    } else if (fence.locked) {
      await this.context.l2?.release(fence.lockKeys.lock, fence.token, () => this.busMessage("rel", key));
    }
    this.context.bus?.wake(key);
    if (accepted) {
      this.stats.counters.fills++;
      this.fillL1(key, entry, fence.mark, fence.epoch);
    } else {
      this.stats.counters.fillsRefused++;
    }
    this.context.events.emit("fill", () => ({ namespace: this.name, key, loadMs, negative, accepted }));
    return entry.value;
  }

  /**
   * Fetches many ids with one read per tier and one `batchLoader` call for the
   * misses. Results are aligned with `ids`; absent ids are null. Concurrent
   * `getOrSet` calls for ids being loaded here join this load.
   */
  async getOrSetMany(ids: CacheId[], batchLoader: BatchLoader<T>, options?: CallOptions): Promise<(T | null)[]> {
    this.context.assertOpen();
    if (options) validateCallOptions(options);
    const policy = options ? { ...this.policy, ...options } : this.policy;
    const started = performance.now();
    const keys = ids.map((id) => this.keys.valueKey(id));
    const results = new Array<T | null>(ids.length).fill(null);
    let pending: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const entry = this.useL1 ? this.freshFromL1(keys[i] as string, ids[i] as CacheId, undefined) : undefined;
      if (entry) results[i] = entry.value as T | null;
      else pending.push(i);
    }
    const mark = this.context.invalidationMark();
    const epoch = this.epoch.value;
    if (pending.length > 0 && this.context.l2) {
      const raw = await this.context.l2.mget(pending.map((i) => keys[i] as string));
      if (raw !== UNAVAILABLE) {
        const now = this.context.clock.now();
        const stillMissing: number[] = [];
        for (let p = 0; p < pending.length; p++) {
          const i = pending[p] as number;
          const entry = await this.decodeOrDrop(keys[i] as string, raw[p] ?? null);
          if (entry && now < entry.freshUntil) {
            results[i] = entry.value;
            this.countHit(keys[i] as string, "l2", entry.negative);
            this.fillL1(keys[i] as string, entry, mark, epoch);
          } else {
            this.stats.counters.l2Misses++;
            stillMissing.push(i);
          }
        }
        pending = stillMissing;
      }
    }
    if (pending.length > 0) await this.loadMany(ids, keys, pending, results, batchLoader, policy, mark, epoch);
    this.stats.record("getOrSetMany", performance.now() - started);
    return results;
  }

  private async loadMany(
    ids: CacheId[],
    keys: string[],
    pending: number[],
    results: (T | null)[],
    batchLoader: BatchLoader<T>,
    policy: EntryPolicy,
    mark: number,
    epoch: number,
  ): Promise<void> {
    const coalesce = policy.protection !== "none";
    const joined: Promise<void>[] = [];
    const toLoad: number[] = [];
    for (const i of pending) {
      const running = coalesce ? this.context.flights.current<Resolved<T>>(keys[i] as string) : undefined;
      if (running) {
        this.stats.counters.coalesced++;
        joined.push(
          running.then((resolved) => {
            results[i] = resolved.value;
          }),
        );
      } else toLoad.push(i);
    }
    this.stats.counters.misses += pending.length;
    if (toLoad.length > 0) {
      const tokens = toLoad.map(() => newToken());
      const leases = await Promise.all(toLoad.map((i, n) => this.takeLease(this.lockKeys(keys[i] as string), tokens[n] as string, policy)));
      const started = performance.now();
      this.stats.counters.loads++;
      const batch = (async () => {
        const answer = await runLoader(
          () => batchLoader(toLoad.map((i) => ids[i] as CacheId)),
          toLoad.map((i) => ids[i]),
          policy.hardTimeoutMs,
        );
        return toLoad.map((i, n) => (answer instanceof Map ? answer.get(ids[i] as CacheId) : answer[n]));
      })();
      const stored = toLoad.map((i, n) => {
        const key = keys[i] as string;
        const fence = {
          token: tokens[n] as string,
          leased: leases[n] as boolean,
          locked: false,
          mark,
          epoch,
          lockKeys: this.lockKeys(key),
        };
        const work = async (): Promise<Resolved<T>> => {
          const loaded = (await batch)[n] as T | null | undefined;
          return { value: await this.store(key, loaded, policy, performance.now() - started, fence), source: "loader" };
        };
        // Registered as this key's flight, so a concurrent getOrSet of the same id joins the batch.
        return coalesce ? this.context.flights.run(key, work) : work();
      });
      batch.catch(() => this.stats.counters.loadErrors++);
      const values = await Promise.all(stored);
      toLoad.forEach((i, n) => {
        results[i] = (values[n] as Resolved<T>).value;
      });
    }
    await Promise.all(joined);
  }

  /** The cached value: T, null for a cached "absent" marker, or undefined when nothing fresh is cached. */
  async get(id: CacheId): Promise<T | null | undefined> {
    const key = this.keys.valueKey(id);
    const l1 = this.useL1 ? this.freshFromL1(key, id, undefined) : undefined;
    if (l1 !== undefined) return l1.value as T | null;
    this.context.assertOpen();
    const started = performance.now();
    const mark = this.context.invalidationMark();
    const epoch = this.epoch.value;
    const entry = await this.readL2(key);
    this.stats.record("get", performance.now() - started);
    if (entry && this.context.clock.now() < entry.freshUntil) {
      this.countHit(key, "l2", entry.negative);
      this.fillL1(key, entry, mark, epoch);
      return entry.value;
    }
    if (this.context.l2) this.stats.counters.l2Misses++;
    return undefined;
  }

  /** Whether a fresh entry (a value or an "absent" marker) is cached in either tier. */
  async has(id: CacheId): Promise<boolean> {
    this.context.assertOpen();
    const key = this.keys.valueKey(id);
    const now = this.context.clock.now();
    const l1 = this.useL1 ? this.context.l1?.get(key, now) : undefined;
    if (l1 && l1.epoch === this.epoch.value && now < l1.freshUntil) return true;
    const raw = await this.context.l2?.get(key);
    if (!raw || raw === UNAVAILABLE) return false;
    try {
      return now < this.codec.meta(raw).freshUntil;
    } catch {
      return false;
    }
  }

  /**
   * Stores a value (null stores an "absent" marker). Voids the leases of loads
   * under way, so none of them can overwrite it, and tells other processes.
   */
  async set(id: CacheId, value: T | null, options?: Pick<CallOptions, "ttlMs" | "negativeTtlMs" | "graceMs" | "jitter">): Promise<void> {
    this.context.assertOpen();
    if (options) validateCallOptions(options);
    const policy = options ? { ...this.policy, ...options } : this.policy;
    const started = performance.now();
    const key = this.keys.valueKey(id);
    const negative = value === null || value === undefined;
    const now = this.context.clock.now();
    const freshUntil = now + jitterTtl(negative ? policy.negativeTtlMs : policy.ttlMs, policy.jitter, this.context.random);
    const staleUntil = freshUntil + (negative ? 0 : policy.graceMs);
    const encoded = this.codec.encode(value, { freshUntil, staleUntil, loadMs: 0 }).bytes;
    const entry = await this.codec.decode(encoded);
    this.context.noteInvalidation(key);
    const mark = this.context.invalidationMark();
    await this.context.l2?.write({ value: key, lease: leaseKeyOf(key) }, encoded, staleUntil - now, () => this.busMessage("inv", key));
    this.fillL1(key, entry, mark, this.epoch.value);
    this.stats.counters.sets++;
    this.stats.record("set", performance.now() - started);
  }

  /** Removes an id from both tiers, voids loads under way, and tells other processes. */
  async delete(id: CacheId): Promise<void> {
    this.context.assertOpen();
    const started = performance.now();
    const key = this.keys.valueKey(id);
    this.context.noteInvalidation(key);
    this.context.l1?.delete(key);
    await this.context.l2?.write({ value: key, lease: leaseKeyOf(key) }, null, 0, () => this.busMessage("inv", key));
    // Drop again: a load that finished while the delete was in flight may have refilled L1.
    this.context.l1?.delete(key);
    this.stats.counters.deletes++;
    this.stats.record("delete", performance.now() - started);
  }

  /**
   * Invalidates every entry of this namespace (all versions): L1 at once by
   * epoch, L2 by SCAN + UNLINK in batches (never KEYS, never blocking Redis),
   * then other processes through the bus. Returns the L2 keys removed.
   */
  async clear(): Promise<number> {
    this.context.assertOpen();
    const prefix = this.keys.namespacePrefix;
    this.context.bumpEpoch(prefix);
    this.stats.counters.clears++;
    const l2 = this.context.l2;
    if (!l2) return 0;
    const removed = await l2.deleteMatching(this.keys.namespacePattern());
    await l2.publish(() => this.busMessage("clear", prefix));
    return removed === UNAVAILABLE ? 0 : removed;
  }

  /**
   * Browses this namespace version's entries: this process's L1, or L2 by
   * SCAN, a page at a time. Pass the returned cursor to continue ("0" = done).
   */
  async inspect(options: { tier: "l1" | "l2"; limit?: number; cursor?: string }): Promise<InspectPage> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 1_000);
    if (options.tier === "l1")
      return this.useL1 ? inspectL1(this.context, this.keys, limit, Number(options.cursor ?? "0") || 0) : { entries: [], cursor: "0" };
    return inspectL2(this.context, this.keys, this.codec as EntryCodec<unknown>, limit, options.cursor ?? "0");
  }

  private lockKeys(key: string): LockKeys {
    return { value: key, lease: leaseKeyOf(key), lock: lockKeyOf(key) };
  }

  private busMessage(type: "inv" | "fill" | "rel" | "clear", key: string): { channel: string; message: string } {
    return this.context.bus ? this.context.bus.message(type, [key]) : { channel: "", message: "" };
  }

  /** Reads and decodes one key from L2; undefined when absent, unreachable or undecodable. */
  private async readL2(key: string): Promise<DecodedEntry<T> | undefined> {
    const raw = await this.context.l2?.get(key);
    if (raw === undefined || raw === UNAVAILABLE || raw === null) return undefined;
    const entry = this.decodeOrDrop(key, raw);
    return entry instanceof Promise ? await entry : entry;
  }

  /**
   * Decodes stored bytes (synchronously unless the schema is async); bytes that
   * fail to decode or validate are deleted, counted and treated as a miss.
   */
  private decodeOrDrop(key: string, raw: Buffer | null): DecodedEntry<T> | undefined | Promise<DecodedEntry<T> | undefined> {
    if (raw === null) return undefined;
    try {
      const entry = this.codec.decode(raw);
      return entry instanceof Promise ? entry.catch((error: unknown) => this.dropUndecodable(key, error)) : entry;
    } catch (error) {
      return this.dropUndecodable(key, error);
    }
  }

  private async dropUndecodable(key: string, error: unknown): Promise<undefined> {
    this.stats.counters.decodeErrors++;
    this.context.log.warn("decode failure", error, { namespace: this.name, key });
    this.context.events.emit("decodeError", () => ({ namespace: this.name, key, error: error as Error }));
    await this.context.l2?.delete(key);
    return undefined;
  }

  private staleFromL1(key: string): StaleCandidate<T> | undefined {
    if (!this.useL1) return undefined;
    const entry = this.context.l1?.get(key, this.context.clock.now());
    if (!entry || entry.epoch !== this.epoch.value) return undefined;
    return { value: entry.value as T | null, staleUntil: entry.staleUntil };
  }

  /** Puts an entry in L1 unless the key was invalidated (or the namespace cleared) since `mark`/`epoch` were read. */
  private fillL1(key: string, entry: DecodedEntry<T>, mark: number, epoch: number): void {
    if (!this.useL1 || this.context.invalidatedSince(key, mark) || epoch !== this.epoch.value) return;
    this.context.l1?.set(key, {
      value: entry.value,
      negative: entry.negative,
      freshUntil: entry.freshUntil,
      staleUntil: entry.staleUntil,
      loadMs: entry.loadMs,
      size: entry.size,
      epoch,
    });
  }

  private serveStale(
    key: string,
    stale: StaleCandidate<T>,
    reason: "loader-error" | "soft-timeout" | "hard-timeout" | "lock-timeout",
  ): T | null {
    this.stats.counters.staleServed++;
    this.context.events.emit("staleServed", () => ({ namespace: this.name, key, reason }));
    return stale.value;
  }

  private countHit(key: string, tier: "l1" | "l2", negative: boolean): void {
    const counters = this.stats.counters;
    if (tier === "l1") counters.l1Hits++;
    else counters.l2Hits++;
    if (negative) {
      counters.negativeHits++;
      this.context.events.emit("negativeHit", () => ({ namespace: this.name, key, tier }));
    } else {
      this.context.events.emit("hit", () => ({ namespace: this.name, key, tier }));
    }
  }

  private countError(operation: string, error: unknown): void {
    this.stats.counters.errors++;
    this.context.log.warn(`${operation} failure`, error, { namespace: this.name });
    this.context.events.emit("error", () => ({ namespace: this.name, operation, error: error as Error }));
  }

  /**
   * XFetch (Vattani et al.): refresh before expiry with probability
   * exp(-(time left) / (beta * last load time)), so a hot key reloads once,
   * in the background, before it would hard-miss.
   */
  private maybeRefreshEarly(
    key: string,
    id: CacheId,
    entry: { freshUntil: number; loadMs: number },
    now: number,
    loader: Loader<T>,
    options?: CallOptions,
  ): void {
    const beta = options?.earlyRefreshBeta ?? this.policy.earlyRefreshBeta;
    if (beta <= 0) return;
    const delta = Math.max(1, entry.loadMs) * beta;
    const left = entry.freshUntil - now;
    // exp(-30) is negligible: skip the random draw while far from expiry.
    if (left > delta * 30) return;
    if (now - delta * Math.log(this.context.random() || Number.MIN_VALUE) < entry.freshUntil) return;
    // Refreshes run under their own flight key: nobody waits on a refresh, since the entry is still fresh.
    const flightKey = refreshFlightKey(key);
    if (this.context.flights.current(key) || this.context.flights.current(flightKey)) return;
    const policy = options ? { ...this.policy, ...options } : this.policy;
    this.stats.counters.earlyRefreshes++;
    this.context.events.emit("earlyRefresh", () => ({ namespace: this.name, key }));
    this.refreshesRunning++;
    this.context.flights
      .run(flightKey, () => this.refresh(key, id, loader, policy).finally(() => this.refreshesRunning--))
      .catch((error) => this.context.log.warn("early refresh failed", error, { namespace: this.name, key }));
  }

  /** One background refresh: skipped if another process holds the lock (it is refreshing already). */
  private async refresh(key: string, id: CacheId, loader: Loader<T>, policy: EntryPolicy): Promise<T | null> {
    const mark = this.context.invalidationMark();
    const epoch = this.epoch.value;
    const lockKeys = this.lockKeys(key);
    const token = newToken();
    let leased = false;
    let locked = false;
    if (this.context.l2) {
      const reply = await this.context.l2.acquire(lockKeys, token, {
        leaseTtlMs: this.context.leaseTtlMs,
        lockTtlMs: policy.lockTtlMs,
        wantLock: policy.protection === "distributed",
        // Far future: an entry that is still fresh must not stop its own refresh.
        nowMs: Number.MAX_SAFE_INTEGER,
      });
      if (reply !== UNAVAILABLE) {
        if (!reply.acquired) return null;
        leased = true;
        locked = policy.protection === "distributed";
      }
    }
    return this.loadAndStore(key, id, loader, policy, { token, leased, locked, mark, epoch, lockKeys });
  }
}
