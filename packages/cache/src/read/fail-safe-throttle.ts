import { LRUCache } from "lru-cache";

/** Most keys throttled at once per namespace; past it the oldest throttle is forgotten (that key probes early). */
const MAX_THROTTLED_KEYS = 10_000;

/**
 * Per-key fail-safe throttle (FusionCache's FailSafeThrottleDuration,
 * bentocache's graceBackoff): after a loader failure answered with a stale
 * copy, the key's loader is not called again until the throttle ends, so a
 * dead database is probed once per period per process, not once per read.
 */
export class FailSafeThrottle {
  private readonly until = new LRUCache<string, number>({ max: MAX_THROTTLED_KEYS });

  /** Whether `key`'s loader should be skipped at `nowMs`. */
  active(key: string, nowMs: number): boolean {
    if (this.until.size === 0) return false;
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (nowMs < until) return true;
    this.until.delete(key); // ended: this caller probes
    return false;
  }

  /** Skips `key`'s loader until `untilMs` (nothing when `durationMs` is 0). */
  start(key: string, untilMs: number, durationMs: number): void {
    if (durationMs > 0) this.until.set(key, untilMs);
  }

  /** The loader answered: no throttle. */
  end(key: string): void {
    if (this.until.size > 0) this.until.delete(key);
  }
}
