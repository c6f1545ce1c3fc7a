import type { DecodedEntry } from "./entry-codec.js";
import { type CacheError, LockTimeoutError } from "./errors.js";
import { jitterTtl } from "./jitter.js";
import type { CacheId } from "./keys.js";
import { UNAVAILABLE } from "./l2-store.js";
import { type LoaderContext, runLoader, SOFT_TIMEOUT, softTimeout } from "./loader-runner.js";
import { keepLockAlive } from "./lock-renewal.js";
import { acquireOrWait, type LockKeys } from "./lock-wait.js";
import type { NamespaceCore } from "./namespace-core.js";
import type { Fence, Loader, Resolved, StaleCandidate } from "./namespace-types.js";
import type { EntryPolicy } from "./options.js";
import { newToken } from "./token.js";

/**
 * The miss path of one namespace: take the lock and/or lease as the policy
 * says (or wait for the process that holds the lock), run the loader with
 * fail-safe and timeouts, and store the result through the fenced fill.
 */
export class LoadPath<T> {
  constructor(private readonly core: NamespaceCore<T>) {}

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
    if (stale && this.core.throttle.active(key, this.core.context.clock.now())) {
      // The loader failed moments ago: do not hammer it; serve the stale copy until the throttle ends.
      return { value: this.core.serveStale(key, stale, "throttled"), source: "stale" };
    }
    const lockKeys = this.core.lockKeys(key);
    const token = newToken();
    let leased = false;
    let locked = false;
    if (this.core.context.l2) {
      if (policy.protection === "distributed") {
        // With a stale copy at hand, waiting on another process is bounded by the soft timeout too.
        const softWait = stale !== undefined && policy.softTimeoutMs > 0 && policy.softTimeoutMs < policy.lockWaitTimeoutMs;
        const outcome = await acquireOrWait(this.core.context, this.core.codec, lockKeys, token, {
          lockTtlMs: policy.lockTtlMs,
          waitTimeoutMs: softWait ? policy.softTimeoutMs : policy.lockWaitTimeoutMs,
          onWait: () => this.core.stats.counters.lockWaits++,
        });
        if (outcome.kind === "value") {
          this.core.countHit(key, "l2", outcome.entry.negative);
          this.core.fillL1(key, outcome.entry, mark, epoch);
          return { value: outcome.entry.value, source: "lock-wait" };
        }
        if (outcome.kind === "acquired") {
          this.core.stats.counters.lockAcquired++;
          leased = locked = true;
        }
        if (outcome.kind === "timeout") {
          if (softWait && stale) return { value: this.core.serveStale(key, stale, "soft-timeout"), source: "stale" };
          this.core.stats.counters.lockTimeouts++;
          if (stale) return { value: this.core.serveStale(key, stale, "lock-timeout"), source: "stale" };
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
        stored.catch((error) => this.core.context.log.warn("background load failed", error, { namespace: this.core.name, key }));
        return { value: this.core.serveStale(key, stale, "soft-timeout"), source: "stale" };
      }
    }
    try {
      const value = await stored;
      this.core.throttle.end(key);
      return { value, source: "loader" };
    } catch (error) {
      if (stale) {
        const reason = (error as CacheError).code === "E_LOADER_TIMEOUT" ? "hard-timeout" : "loader-error";
        this.core.throttle.start(key, this.core.context.clock.now() + policy.failSafeThrottleMs, policy.failSafeThrottleMs);
        return { value: this.core.serveStale(key, stale, reason), source: "stale" };
      }
      throw error;
    }
  }
  /** Takes the lease without the lock (last taker wins; invalidations void it). */
  async takeLease(keys: LockKeys, token: string, policy: EntryPolicy): Promise<boolean> {
    const reply = await this.core.context.l2?.acquire(keys, token, {
      leaseTtlMs: this.core.context.leaseTtlMs,
      lockTtlMs: policy.lockTtlMs,
      wantLock: false,
      nowMs: this.core.context.clock.now(),
    });
    return reply !== undefined && reply !== UNAVAILABLE && reply.acquired;
  }
  async loadAndStore(key: string, id: CacheId, loader: Loader<T>, policy: EntryPolicy, fence: Fence): Promise<T | null> {
    const started = performance.now();
    let loaded: T | null | undefined;
    const l2 = this.core.context.l2;
    const stopRenewing =
      fence.locked && l2 ? keepLockAlive(l2, fence.lockKeys.lock, fence.token, policy.lockTtlMs, this.core.context.leaseTtlMs) : undefined;
    try {
      this.core.stats.counters.loads++;
      loaded = await runLoader(
        loader as (context: LoaderContext<CacheId>) => T | null | undefined | Promise<T | null | undefined>,
        id,
        policy.hardTimeoutMs,
      );
      stopRenewing?.();
    } catch (error) {
      stopRenewing?.();
      this.core.stats.counters.loadErrors++;
      if (fence.locked) {
        await this.releaseLock(key, fence);
      }
      throw error;
    }
    const loadMs = performance.now() - started;
    this.core.stats.record("load", loadMs);
    return this.store(key, loaded, policy, loadMs, fence);
  }
  /** Encodes and stores a loaded value: fenced in L2, then L1 unless invalidated meanwhile. Returns the decoded copy. */
  async store(key: string, loaded: T | null | undefined, policy: EntryPolicy, loadMs: number, fence: Fence): Promise<T | null> {
    const negative = loaded === null || loaded === undefined;
    const now = this.core.context.clock.now();
    const ttlMs = jitterTtl(negative ? policy.negativeTtlMs : policy.ttlMs, policy.jitter, this.core.context.random);
    const freshUntil = now + ttlMs;
    const staleUntil = freshUntil + (negative ? 0 : policy.graceMs);
    let encoded: Buffer;
    let entry: DecodedEntry<T>;
    try {
      encoded = this.core.codec.encode(loaded, { freshUntil, staleUntil, loadMs }).bytes;
      entry = await this.core.codec.decode(encoded);
    } catch (error) {
      // A value the codec or schema rejects is served as loaded but never cached.
      this.core.countError("encode", error);
      if (fence.locked) await this.releaseLock(key, fence);
      return negative ? null : (loaded as T);
    }
    let accepted = true;
    if (fence.leased && this.core.context.l2) {
      const reply = await this.core.context.l2.fill(fence.lockKeys, fence.token, encoded, staleUntil - now, () =>
        this.core.busMessage("fill", key),
      );
      accepted = reply !== false;
      // The fill never reached Redis: our lock would hold other processes until lockTtlMs.
      if (reply === UNAVAILABLE && fence.locked) this.core.context.pending.addRelease(fence.lockKeys.lock, fence.token);
    } else if (fence.locked) {
      await this.releaseLock(key, fence);
    }
    this.core.context.bus?.wake(key);
    if (accepted) {
      this.core.stats.counters.fills++;
      this.core.fillL1(key, entry, fence.mark, fence.epoch);
    } else {
      this.core.stats.counters.fillsRefused++;
    }
    this.core.context.events.emit("fill", () => ({ namespace: this.core.name, key, loadMs, negative, accepted }));
    return entry.value;
  }

  /** Frees the lock without a fill (compare-and-delete) and wakes waiters here and, through the bus, elsewhere. */
  private async releaseLock(key: string, fence: Fence): Promise<void> {
    const released = await this.core.context.l2?.release(fence.lockKeys.lock, fence.token, () => this.core.busMessage("rel", key));
    // Unreachable now: free it when Redis answers again rather than let it hold others until lockTtlMs.
    if (released === UNAVAILABLE) this.core.context.pending.addRelease(fence.lockKeys.lock, fence.token);
    this.core.context.bus?.wake(key);
  }
}
