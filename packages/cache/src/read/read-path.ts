import { keepLockAlive } from "../coordination/lock-renewal.js";
import { acquireOrWait, type LockKeys } from "../coordination/lock-wait.js";
import { newToken } from "../coordination/token.js";
import type { DecodedEntry } from "../encoding/entry-codec.js";
import type { CacheId } from "../encoding/keys.js";
import { LoaderTimeoutError, LockTimeoutError } from "../errors.js";
import { type CallOptions, type EntryPolicy, validateCallOptions } from "../options.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";
import { expiryOf } from "../time/ttl.js";
import { EarlyRefresh, refreshFlightKey } from "./early-refresh.js";
import { type LoaderContext, runLoader, SOFT_TIMEOUT, softTimeout } from "./loader-runner.js";
import { NamespaceCore } from "./namespace-core.js";
import type { Fence, Loader, Resolved, StaleCandidate } from "./namespace-types.js";
import { mergePolicy } from "./policy.js";

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

  /** The slow path of `getOrSet`, timed: single flight (per protection), then L2 and the loader. */
  getOrSet(key: string, id: CacheId, loader: Loader<T>, options?: CallOptions): Promise<Resolved<T>> {
    this.assertOpen();
    const started = performance.now();
    const resolved = this.#getOrSetUntimed(key, id, loader, options);
    const record = () => this.stats.record("getOrSet", performance.now() - started);
    resolved.then(record, record);
    return resolved;
  }

  async #getOrSetUntimed(key: string, id: CacheId, loader: Loader<T>, options?: CallOptions): Promise<Resolved<T>> {
    if (options) validateCallOptions(options);
    const policy = mergePolicy(this.policy, options);
    // An early refresh of this key is under way: its result is about to land; wait for it rather than load again.
    const refreshing = this.refresh.running > 0 ? this.flights.current(refreshFlightKey(key)) : undefined;
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
      const refreshed = this.useL1 ? this.freshFromL1(key) : undefined;
      if (refreshed) return { value: refreshed.value as T | null, source: "l1" };
    }
    if (policy.protection === "none") return this.#resolveMiss(key, id, loader, policy);
    const running = this.flights.current<Resolved<T>>(key);
    if (running) {
      this.stats.counters.coalesced++;
      this.events.emit("coalesced", () => ({ namespace: this.name, key }));
      return { value: (await running).value, source: "coalesced" };
    }
    return this.flights.run(key, () => this.#resolveMiss(key, id, loader, policy));
  }

  /** After an L1 miss: L2, then the loader (through lock and lease as the policy says). */
  async #resolveMiss(key: string, id: CacheId, loader: Loader<T>, policy: EntryPolicy): Promise<Resolved<T>> {
    const mark = this.marks.current();
    const epoch = this.epoch.value;
    let stale = this.staleFromL1(key);
    if (this.pending.covers(key)) {
      // This process's delete of the key has not reached Redis: L2 (and a fill another process
      // makes there) may be the old value. Load here, fenced by the lease, without the lock wait.
      this.stats.counters.misses++;
      return this.load(key, id, loader, { ...policy, protection: "local" }, stale, mark, epoch);
    }
    // Inlined readL2: one await fewer on the path every L2 hit takes.
    const raw = await this.l2?.get(key);
    let fromL2 = raw === undefined || raw === UNAVAILABLE || raw === null ? undefined : this.decodeOrDrop(key, raw);
    if (fromL2 instanceof Promise) fromL2 = await fromL2;
    if (fromL2) {
      const now = this.clock.now();
      if (now < fromL2.freshUntil) {
        this.countHit(key, "l2", fromL2.negative);
        this.fillL1(key, fromL2, mark, epoch);
        this.refresh.maybeRefreshEarly(key, id, fromL2, now, loader, policy);
        return { value: fromL2.value, source: "l2" };
      }
      if (now < fromL2.staleUntil) stale = fromL2;
    }
    if (this.l2) this.stats.counters.l2Misses++;
    this.stats.counters.misses++;
    this.events.emit("miss", () => ({ namespace: this.name, key }));
    return this.load(key, id, loader, policy, stale, mark, epoch);
  }

  /** `get` past an L1 miss: the fresh L2 entry (filling L1), or undefined. */
  async get(key: string): Promise<T | null | undefined> {
    this.assertOpen();
    const started = performance.now();
    const mark = this.marks.current();
    const epoch = this.epoch.value;
    const entry = await this.readL2(key);
    this.stats.record("get", performance.now() - started);
    if (entry && this.clock.now() < entry.freshUntil) {
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
    return entry !== undefined && now < entry.freshUntil;
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
  ): Promise<Resolved<T>> {
    if (stale && this.throttle.active(key, this.clock.now())) {
      // The loader failed moments ago: do not hammer it; serve the stale copy until the throttle ends.
      return { value: this.serveStale(key, stale, "throttled"), source: "stale" };
    }
    const lockKeys = this.lockKeys(key);
    const token = newToken();
    let leased = false;
    let locked = false;
    if (this.l2) {
      if (policy.protection === "distributed") {
        // With a stale copy at hand, waiting on another process is bounded by the soft timeout too.
        const softWait = stale !== undefined && policy.softTimeoutMs > 0 && policy.softTimeoutMs < policy.lockWaitTimeoutMs;
        const outcome = await acquireOrWait(this, this.codec, lockKeys, token, {
          lockTtlMs: policy.lockTtlMs,
          waitTimeoutMs: softWait ? policy.softTimeoutMs : policy.lockWaitTimeoutMs,
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
          if (softWait && stale) return { value: this.serveStale(key, stale, "soft-timeout"), source: "stale" };
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
        stored.catch((error) => this.log.warn("background load failed", error, { namespace: this.name, key }));
        return { value: this.serveStale(key, stale, "soft-timeout"), source: "stale" };
      }
    }
    try {
      const value = await stored;
      this.throttle.end(key);
      return { value, source: "loader" };
    } catch (error) {
      if (stale) {
        const reason = error instanceof LoaderTimeoutError ? "hard-timeout" : "loader-error";
        this.throttle.start(key, this.clock.now() + policy.failSafeThrottleMs, policy.failSafeThrottleMs);
        return { value: this.serveStale(key, stale, reason), source: "stale" };
      }
      throw error;
    }
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
  async loadAndStore(key: string, id: CacheId, loader: Loader<T>, policy: EntryPolicy, fence: Fence): Promise<T | null> {
    const started = performance.now();
    let loaded: T | null | undefined;
    let outlived: Promise<T | null | undefined> | undefined;
    const stopRenewing =
      fence.locked && this.l2 ? keepLockAlive(this.l2, fence.lockKeys.lock, fence.token, policy.lockTtlMs, this.leaseTtlMs) : undefined;
    try {
      this.stats.counters.loads++;
      loaded = await runLoader(
        loader as (context: LoaderContext<CacheId>) => T | null | undefined | Promise<T | null | undefined>,
        id,
        policy.hardTimeoutMs,
        policy.backgroundCompletion
          ? (running) => {
              outlived = running;
            }
          : undefined,
      );
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
    return this.store(key, loaded, policy, loadMs, fence);
  }
  /**
   * Finishes a load that outlived its hard timeout (`backgroundCompletion`): it keeps renewing its
   * lock until it settles, then stores through the same fenced fill as any load, so a delete since
   * it began keeps it out. A failure frees the lock and is counted and logged, never thrown.
   */
  #completeInBackground(
    key: string,
    running: Promise<T | null | undefined>,
    policy: EntryPolicy,
    started: number,
    fence: Fence,
    stopRenewing: (() => void) | undefined,
  ): void {
    running
      .then(
        (loaded) => {
          stopRenewing?.();
          const loadMs = performance.now() - started;
          this.stats.record("load", loadMs);
          return this.store(key, loaded, policy, loadMs, fence);
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

  /** Encodes and stores a loaded value: fenced in L2, then L1 unless invalidated meanwhile. Returns the decoded copy. */
  async store(key: string, loaded: T | null | undefined, policy: EntryPolicy, loadMs: number, fence: Fence): Promise<T | null> {
    const negative = loaded === null || loaded === undefined;
    const now = this.clock.now();
    const { freshUntil, staleUntil } = expiryOf(now, negative, policy, this.random);
    let encoded: Buffer;
    let entry: DecodedEntry<T>;
    try {
      encoded = this.codec.encode(loaded, { freshUntil, staleUntil, loadMs }).bytes;
      entry = await this.codec.decode(encoded);
    } catch (error) {
      // A value the codec or schema rejects is served as loaded but never cached.
      this.countError("encode", error);
      if (fence.locked) await this.releaseLock(key, fence);
      return negative ? null : (loaded as T);
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
    return entry.value;
  }

  /** Frees the lock without a fill (compare-and-delete) and wakes waiters here and, through the bus, elsewhere. */
  private async releaseLock(key: string, fence: Fence): Promise<void> {
    const released = await this.l2?.release(fence.lockKeys.lock, fence.token, () => this.busMessage("rel", key));
    // Unreachable now: free it when Redis answers again rather than let it hold others until lockTtlMs.
    if (released === UNAVAILABLE) this.pending.addRelease(fence.lockKeys.lock, fence.token);
    this.bus?.wake(key);
  }
}
