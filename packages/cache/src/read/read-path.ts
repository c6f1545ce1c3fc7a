import { keepLockAlive } from "../coordination/lock-renewal.js";
import { acquireOrWait, type LockKeys } from "../coordination/lock-wait.js";
import { newToken } from "../coordination/token.js";
import type { DecodedEntry } from "../encoding/entry-codec.js";
import type { CacheId } from "../encoding/keys.js";
import { checkTags } from "../encoding/tags.js";
import { InvalidOptionError, LoaderTimeoutError, LockTimeoutError } from "../errors.js";
import { noteLockWait, traceGetOrSet, traceLoader, tracingOn } from "../observability/tracing.js";
import { type EntryPolicy, type GetOrSetOptions, validateCallOptions } from "../options.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";
import { expiryOf } from "../time/ttl.js";
import { EarlyRefresh, refreshFlightKey } from "./early-refresh.js";
import { type LoaderContext, type LoaderRequests, runLoader, SOFT_TIMEOUT, softTimeout } from "./loader-runner.js";
import { NamespaceCore } from "./namespace-core.js";
import type { Fence, FlightResult, Loader, StaleCandidate, Stored } from "./namespace-types.js";
import { mergePolicy } from "./policy.js";

/** How many flights a caller joins before it loads on its own (each refused one was invalidated while it ran). */
const JOIN_ATTEMPTS = 3;

/**
 * The read path of one namespace past an L1 miss, top to bottom: single
 * flight, the L2 read, then on a miss the lock and/or lease as the policy
 * says (or a wait for the process that holds the lock), the loader with
 * fail-safe and timeouts, and the fenced fill. The L1 fast path is in
 * `Namespace.getOrSet`; the tier helpers it uses are in {@link NamespaceCore}.
 */
export class ReadPath<T> extends NamespaceCore<T> {
  /** Probabilistic early refresh of entries about to expire; it stores through this path. */
  readonly refresh: EarlyRefresh<T> = new EarlyRefresh(this);

  /**
   * The slow path of `getOrSet`, timed: single flight (per protection), then L2 and the loader.
   * The common case (no refresh under way, no flight to join) awaits only the flight itself, so an
   * L2 hit takes no more promise hops than it must.
   */
  async getOrSet(key: string, id: CacheId, loader: Loader<T>, options?: GetOrSetOptions): Promise<FlightResult<T>> {
    this.assertOpen();
    const started = performance.now();
    try {
      return await this.#getOrSetTraced(key, id, loader, options);
    } finally {
      this.stats.record("getOrSet", performance.now() - started);
    }
  }

  /** {@link getOrSet} for `Namespace.getOrSet`: the value alone (the caller's own copy when `clone`), so it adds no promise of its own. */
  async getOrSetValue(
    key: string,
    id: CacheId,
    loader: Loader<T>,
    options: GetOrSetOptions | undefined,
    clone: boolean,
  ): Promise<T | null> {
    this.assertOpen();
    const started = performance.now();
    let value: T | null;
    try {
      ({ value } = await this.#getOrSetTraced(key, id, loader, options));
    } finally {
      this.stats.record("getOrSet", performance.now() - started);
    }
    return clone ? structuredClone(value) : value;
  }

  #getOrSetTraced(key: string, id: CacheId, loader: Loader<T>, options?: GetOrSetOptions): Promise<FlightResult<T>> {
    return tracingOn()
      ? traceGetOrSet(this.name, options?.protection ?? this.policy.protection, () => this.#getOrSetUntimed(key, id, loader, options))
      : this.#getOrSetUntimed(key, id, loader, options);
  }

  /** Not async: the checks run at once, and the common case hands back the flight's own promise. */
  #getOrSetUntimed(key: string, id: CacheId, loader: Loader<T>, options?: GetOrSetOptions): Promise<FlightResult<T>> {
    try {
      if (options) validateCallOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const policy = mergePolicy(this.policy, options);
    let tags: readonly string[] | undefined;
    try {
      tags = options?.tags === undefined ? undefined : checkTags(options.tags, "getOrSet()");
    } catch (error) {
      return Promise.reject(error);
    }
    // An early refresh of this key is under way: its result is about to land; wait for it rather than load again.
    const refreshing =
      this.refresh.running > 0 && !this.refresh.servingStale.has(key) ? this.flights.current(refreshFlightKey(key)) : undefined;
    if (refreshing) return this.#afterRefresh(refreshing, key, id, loader, policy, tags);
    return this.#coalesceOrLoad(key, id, loader, policy, tags);
  }

  /** Past L1 (and any refresh under way): the miss itself, joined to this key's flight here or in a flight of its own. */
  #coalesceOrLoad(
    key: string,
    id: CacheId,
    loader: Loader<T>,
    policy: Readonly<EntryPolicy>,
    tags: readonly string[] | undefined,
  ): Promise<FlightResult<T>> {
    if (policy.protection === "none") return this.#resolveMiss(key, id, loader, policy, tags);
    const running = this.joinFlight(key);
    if (running) return this.#joinOrLoad(running, key, id, loader, policy, tags);
    return this.flights.run(key, () => this.#resolveMiss(key, id, loader, policy, tags), this.flightStamp(tags));
  }

  /** Waits for the early refresh of `key` under way (bounded by the soft timeout), then reads again. */
  async #afterRefresh(
    refreshing: Promise<unknown>,
    key: string,
    id: CacheId,
    loader: Loader<T>,
    policy: Readonly<EntryPolicy>,
    tags: readonly string[] | undefined,
  ): Promise<FlightResult<T>> {
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
    const refreshed = this.useL1 ? this.freshFromL1(key) : undefined;
    if (refreshed) return { value: refreshed.value as T | null, source: "l1", tags: refreshed.tags };
    return this.#coalesceOrLoad(key, id, loader, policy, tags);
  }

  /** Joins the flight running for `key` (up to {@link JOIN_ATTEMPTS} of them), else loads in a flight of its own. */
  async #joinOrLoad(
    first: Promise<FlightResult<T> | undefined>,
    key: string,
    id: CacheId,
    loader: Loader<T>,
    policy: Readonly<EntryPolicy>,
    tags: readonly string[] | undefined,
  ): Promise<FlightResult<T>> {
    let running: Promise<FlightResult<T> | undefined> | undefined = first;
    for (let attempt = 0; attempt < JOIN_ATTEMPTS && running; attempt++) {
      this.stats.counters.coalesced++;
      this.events.emit("coalesced", () => ({ namespace: this.name, key }));
      const joined = await running;
      if (joined) return { value: joined.value, source: "coalesced", tags: joined.tags, shared: joined.source };
      // It carried a tag invalidated since it began, learned as it ran: not ours to take. Another caller
      // refused with us may have begun a newer flight: join that one rather than load once per caller.
      running = attempt + 1 < JOIN_ATTEMPTS ? this.joinFlight(key) : undefined;
    }
    return this.flights.run(key, () => this.#resolveMiss(key, id, loader, policy, tags), this.flightStamp(tags));
  }

  /** After an L1 miss: L2, then the loader (through lock and lease as the policy says). */
  async #resolveMiss(
    key: string,
    id: CacheId,
    loader: Loader<T>,
    policy: EntryPolicy,
    tags: readonly string[] | undefined,
  ): Promise<FlightResult<T>> {
    const mark = this.marks.current();
    const epoch = this.epoch.value;
    let stale = this.staleFromL1(key);
    if (this.pending.covers(key)) {
      // This process's delete of the key has not reached Redis: L2 (and a fill another process
      // makes there) may be the old value. Load here, fenced by the lease, without the lock wait.
      this.stats.counters.misses++;
      return this.load(key, id, loader, { ...policy, protection: "local" }, stale, mark, epoch, tags);
    }
    // Inlined readL2: one await fewer on the path every L2 hit takes.
    const raw = await this.l2?.get(key);
    let fromL2 = raw === undefined || raw === UNAVAILABLE || raw === null ? undefined : this.decodeOrDrop(key, raw);
    if (fromL2 instanceof Promise) fromL2 = await fromL2;
    if (fromL2) {
      let verdict = this.verdictOf(fromL2);
      if (verdict instanceof Promise) verdict = await verdict;
      const now = this.clock.now();
      if (verdict === "invalid" || verdict === "unverified") {
        // A tag was invalidated since its load began: dead. Removed (if still those bytes), never served.
        if (verdict === "invalid") await this.discard(key, raw as Buffer);
      } else if (verdict === "expired" || fromL2.expired) {
        // Expired on demand: serve the stale copy at once, refresh in the background (one load in the cluster).
        if (now < fromL2.staleUntil) {
          this.refresh.revalidate(key, id, loader, policy, tags, fromL2.value);
          return this.serveStale(key, fromL2, "expired");
        }
      } else if (now < fromL2.freshUntil) {
        this.countHit(key, "l2", fromL2.negative);
        this.fillL1(key, fromL2, mark, epoch);
        this.refresh.maybeRefreshEarly(key, id, fromL2, now, loader, policy, tags);
        return { value: fromL2.value, source: "l2", tags: fromL2.tags };
      } else if (now < fromL2.staleUntil) stale = fromL2;
    }
    if (this.l2) this.stats.counters.l2Misses++;
    this.stats.counters.misses++;
    this.events.emit("miss", () => ({ namespace: this.name, key }));
    return this.load(key, id, loader, policy, stale, mark, epoch, tags);
  }

  /** `get` past an L1 miss: the fresh L2 entry (filling L1), or undefined. */
  async get(key: string): Promise<T | null | undefined> {
    this.assertOpen();
    const started = performance.now();
    const mark = this.marks.current();
    const epoch = this.epoch.value;
    // A key whose delete is still to be replayed is not taken from L2 (it may be the old value).
    const raw = this.pending.covers(key) ? undefined : await this.l2?.get(key);
    const entry = raw === undefined || raw === UNAVAILABLE || raw === null ? undefined : await this.decodeOrDrop(key, raw);
    const verdict = entry ? await this.verdictOf(entry) : undefined;
    if (verdict === "invalid") await this.discard(key, raw as Buffer);
    this.stats.record("get", performance.now() - started);
    if (entry && verdict === "fresh" && !entry.expired && this.clock.now() < entry.freshUntil) {
      this.countHit(key, "l2", entry.negative);
      this.fillL1(key, entry, mark, epoch);
      return entry.value;
    }
    if (this.l2) this.stats.counters.l2Misses++;
    this.stats.counters.misses++;
    return undefined;
  }

  /** Whether a fresh entry (a value or an "absent" marker) is cached in either tier. */
  async has(key: string): Promise<boolean> {
    this.assertOpen();
    const now = this.clock.now();
    const l1 = this.useL1 ? this.l1?.get(key, now) : undefined;
    if (l1 && l1.epoch === this.epoch.value && now < l1.freshUntil) return true;
    if (this.pending.covers(key)) return false;
    // Decoded in full, as a read would: bytes that fail the codec or the schema are no entry (and are removed).
    const entry = await this.readL2(key);
    return entry !== undefined && !entry.expired && now < entry.freshUntil && (await this.verdictOf(entry)) === "fresh";
  }

  /** Takes lock and/or lease as `policy.protection` says, runs the loader with fail-safe, stores the result. */
  async load(
    key: string,
    id: CacheId,
    loader: Loader<T>,
    policy: EntryPolicy,
    stale: StaleCandidate<T> | undefined,
    mark: number,
    epoch: number,
    tags?: readonly string[],
  ): Promise<FlightResult<T>> {
    if (stale && this.throttle.active(key, this.clock.now())) {
      // The loader failed moments ago: do not hammer it; serve the stale copy until the throttle ends.
      return this.serveStale(key, stale, "throttled");
    }
    const lockKeys = this.lockKeys(key);
    const token = newToken();
    // Read before the loader runs: a tag invalidated after this number fences the load's result.
    const tagSeq = this.tags.startSeq();
    let leased = false;
    let locked = false;
    if (this.l2) {
      if (policy.protection === "distributed") {
        // With a stale copy at hand, waiting on another process is bounded by the soft timeout too.
        const softWait = stale !== undefined && policy.softTimeoutMs > 0 && policy.softTimeoutMs < policy.lockWaitTimeoutMs;
        let waitStarted: number | undefined;
        const outcome = await acquireOrWait(this, this.codec, lockKeys, token, {
          lockTtlMs: policy.lockTtlMs,
          waitTimeoutMs: softWait ? policy.softTimeoutMs : policy.lockWaitTimeoutMs,
          onWait: () => {
            this.stats.counters.lockWaits++;
            waitStarted = performance.now();
          },
          accept: (entry, bytes) => this.acceptWaited(key, entry, bytes),
        });
        if (waitStarted !== undefined && tracingOn()) noteLockWait(performance.now() - waitStarted, outcome.kind);
        if (outcome.kind === "value") {
          this.countHit(key, "l2", outcome.entry.negative);
          this.fillL1(key, outcome.entry, mark, epoch);
          return { value: outcome.entry.value, source: "lock-wait", tags: outcome.entry.tags };
        }
        if (outcome.kind === "acquired") {
          this.stats.counters.lockAcquired++;
          leased = locked = true;
        }
        if (outcome.kind === "timeout") {
          if (softWait && stale) return this.serveStale(key, stale, "soft-timeout");
          this.stats.counters.lockTimeouts++;
          if (stale) return this.serveStale(key, stale, "lock-timeout");
          if (policy.onLockTimeout === "throw") {
            throw new LockTimeoutError(`Waited lockWaitTimeoutMs=${policy.lockWaitTimeoutMs} for another process to load "${key}".`);
          }
          leased = await this.takeLease(lockKeys, token, policy);
        }
      } else {
        leased = await this.takeLease(lockKeys, token, policy);
      }
    }
    const stored = this.loadAndStore(key, id, loader, policy, { token, leased, locked, mark, epoch, lockKeys, tagSeq, tags }, stale?.value);
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
        stored.catch((error) => this.log.warn("background load failed", error, { namespace: this.name, key }));
        return this.serveStale(key, stale, "soft-timeout");
      }
    }
    try {
      const { value, tags: storedTags } = await stored;
      this.throttle.end(key);
      return { value, source: "loader", tags: storedTags };
    } catch (error) {
      if (stale && !(error instanceof InvalidOptionError)) {
        const reason = error instanceof LoaderTimeoutError ? "hard-timeout" : "loader-error";
        this.throttle.start(key, this.clock.now() + policy.failSafeThrottleMs, policy.failSafeThrottleMs);
        return this.serveStale(key, stale, reason);
      }
      throw error;
    }
  }
  /** Whether a value another process stored (seen while waiting for the lock) may be served; a dead one is removed. */
  async acceptWaited(key: string, entry: DecodedEntry<T>, bytes: Buffer): Promise<"serve" | "again" | "load"> {
    if (entry.tags === undefined) return "serve";
    const verdict = await this.verdictOf(entry);
    if (verdict === "fresh") return "serve";
    if (verdict === "unverified") return "load";
    // Filled by a load that began before a tag was invalidated or expired: remove it (if still those bytes) and ask again.
    await this.discard(key, bytes);
    return "again";
  }
  /** Takes the lease without the lock (last taker wins; invalidations void it). */
  async takeLease(keys: LockKeys, token: string, policy: EntryPolicy): Promise<boolean> {
    const reply = await this.l2?.acquire(keys, token, {
      leaseTtlMs: this.leaseTtlMs,
      lockTtlMs: policy.lockTtlMs,
      wantLock: false,
      nowMs: this.clock.now(),
    });
    return reply !== undefined && reply !== UNAVAILABLE && reply.acquired;
  }
  async loadAndStore(key: string, id: CacheId, loader: Loader<T>, policy: EntryPolicy, fence: Fence, stale?: T | null): Promise<Stored<T>> {
    const started = performance.now();
    let loaded: T | null | undefined;
    let requests: LoaderRequests;
    let outlived: Promise<{ value: T | null | undefined; requests: LoaderRequests }> | undefined;
    const stopRenewing =
      fence.locked && this.l2 ? keepLockAlive(this.l2, fence.lockKeys.lock, fence.token, policy.lockTtlMs, this.leaseTtlMs) : undefined;
    try {
      this.stats.counters.loads++;
      ({ value: loaded, requests } = await traceLoader(this.name, () =>
        runLoader(
          loader as (context: LoaderContext<CacheId, T>) => T | null | undefined | Promise<T | null | undefined>,
          id,
          policy.hardTimeoutMs,
          stale ?? undefined,
          policy.backgroundCompletion
            ? (running) => {
                outlived = running;
              }
            : undefined,
        ),
      ));
      stopRenewing?.();
    } catch (error) {
      if (outlived) {
        this.#completeInBackground(key, outlived, policy, started, fence, stopRenewing);
        throw error;
      }
      stopRenewing?.();
      this.stats.counters.loadErrors++;
      if (fence.locked) {
        await this.releaseLock(key, fence);
      }
      throw error;
    }
    const loadMs = performance.now() - started;
    this.stats.record("load", loadMs);
    return this.store(key, loaded, policy, loadMs, fence, requests);
  }
  /**
   * Finishes a load that outlived its hard timeout (`backgroundCompletion`): it keeps renewing its
   * lock until it settles, then stores through the same fenced fill as any load, so a delete since
   * it began keeps it out. A failure frees the lock and is counted and logged, never thrown.
   */
  #completeInBackground(
    key: string,
    running: Promise<{ value: T | null | undefined; requests: LoaderRequests }>,
    policy: EntryPolicy,
    started: number,
    fence: Fence,
    stopRenewing: (() => void) | undefined,
  ): void {
    running
      .then(
        ({ value: loaded, requests }) => {
          stopRenewing?.();
          const loadMs = performance.now() - started;
          this.stats.record("load", loadMs);
          return this.store(key, loaded, policy, loadMs, fence, requests);
        },
        async (error: unknown) => {
          stopRenewing?.();
          this.stats.counters.loadErrors++;
          if (fence.locked) await this.releaseLock(key, fence);
          throw error;
        },
      )
      .catch((error: unknown) => this.log.warn("background completion failed", error, { namespace: this.name, key }));
  }

  /**
   * Encodes and stores a loaded value: fenced in L2, then L1 unless invalidated meanwhile. Returns the decoded
   * copy and the tags it carries. What the loader asked through its context applies: its TTL, its tags, or no
   * caching at all (`skip`).
   */
  async store(
    key: string,
    loaded: T | null | undefined,
    policy: EntryPolicy,
    loadMs: number,
    fence: Fence,
    requests?: LoaderRequests,
  ): Promise<Stored<T>> {
    const negative = loaded === null || loaded === undefined;
    const tags = requests?.tags ? checkTags([...(fence.tags ?? []), ...requests.tags], "ctx.setTags()") : fence.tags;
    if (requests?.skipped || (tags && tags.length > 0 && (await this.tags.verdict(tags, fence.tagSeq)) !== "fresh")) {
      // Skipped by the loader, or a tag was invalidated or expired while it loaded (or cannot be checked): not cached.
      if (!requests?.skipped) this.stats.counters.fillsRefused++;
      if (fence.locked) await this.releaseLock(key, fence);
      return { value: negative ? null : (loaded as T), tags };
    }
    const now = this.clock.now();
    const ttlMs = requests?.ttlMs;
    const { freshUntil, staleUntil } =
      ttlMs === undefined
        ? expiryOf(now, negative, policy, this.random)
        : expiryOf(now, negative, { ...policy, ttlMs, negativeTtlMs: ttlMs, jitter: 0 }, this.random);
    let encoded: Buffer;
    let entry: DecodedEntry<T>;
    try {
      encoded = this.codec.encode(loaded, { freshUntil, staleUntil, loadMs, tags, tagSeq: fence.tagSeq }).bytes;
      entry = await this.codec.decode(encoded);
    } catch (error) {
      // A value the codec or schema rejects is served as loaded but never cached.
      this.countError("encode", error);
      if (fence.locked) await this.releaseLock(key, fence);
      return { value: negative ? null : (loaded as T), tags };
    }
    let accepted = true;
    if (fence.leased && this.l2) {
      const reply = await this.l2.fill(fence.lockKeys, fence.token, encoded, staleUntil - now, () => this.busMessage("fill", key));
      accepted = reply !== false;
      // The fill never reached Redis: our lock would hold other processes until lockTtlMs.
      if (reply === UNAVAILABLE && fence.locked) this.pending.addRelease(fence.lockKeys.lock, fence.token);
    } else if (fence.locked) {
      await this.releaseLock(key, fence);
    }
    this.bus?.wake(key);
    if (accepted) {
      this.stats.counters.fills++;
      this.fillL1(key, entry, fence.mark, fence.epoch);
    } else {
      this.stats.counters.fillsRefused++;
    }
    this.events.emit("fill", () => ({ namespace: this.name, key, loadMs, negative, accepted }));
    return { value: entry.value, tags };
  }

  /** Frees the lock without a fill (compare-and-delete) and wakes waiters here and, through the bus, elsewhere. */
  async releaseLock(key: string, fence: Fence): Promise<void> {
    const released = await this.l2?.release(fence.lockKeys.lock, fence.token, () => this.busMessage("rel", key));
    // Unreachable now: free it when Redis answers again rather than let it hold others until lockTtlMs.
    if (released === UNAVAILABLE) this.pending.addRelease(fence.lockKeys.lock, fence.token);
    this.bus?.wake(key);
  }
}
