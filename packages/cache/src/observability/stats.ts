import { type LatencySummary, LatencyWindow } from "./latency-window.js";

/** Counters kept per namespace. */
export interface NamespaceCounters {
  l1Hits: number;
  l1Misses: number;
  l2Hits: number;
  l2Misses: number;
  negativeHits: number;
  /** Lookups (a `get`, a `getOrSet`, one id of a `getOrSetMany`) that found no fresh value in any tier and joined no load under way. */
  misses: number;
  /** Loader calls. */
  loads: number;
  loadErrors: number;
  coalesced: number;
  fills: number;
  /** Fills refused because the key was invalidated while loading. */
  fillsRefused: number;
  staleServed: number;
  earlyRefreshes: number;
  decodeErrors: number;
  /** Cache operations that failed and fell through (Redis errors, encode failures). */
  errors: number;
  lockAcquired: number;
  lockWaits: number;
  lockTimeouts: number;
  sets: number;
  /** Sets with a version refused because a newer (or equal) version was set or deleted before. */
  setsRefused: number;
  deletes: number;
  clears: number;
  /** `expire` calls (entries made stale on demand). */
  expires: number;
}

/** Operations whose latency is tracked. */
export type TimedOperation = "getOrSet" | "getOrSetMany" | "get" | "set" | "delete" | "load" | "redis";

export function emptyCounters(): NamespaceCounters {
  return {
    l1Hits: 0,
    l1Misses: 0,
    l2Hits: 0,
    l2Misses: 0,
    negativeHits: 0,
    misses: 0,
    loads: 0,
    loadErrors: 0,
    coalesced: 0,
    fills: 0,
    fillsRefused: 0,
    staleServed: 0,
    earlyRefreshes: 0,
    decodeErrors: 0,
    errors: 0,
    lockAcquired: 0,
    lockWaits: 0,
    lockTimeouts: 0,
    sets: 0,
    setsRefused: 0,
    deletes: 0,
    clears: 0,
    expires: 0,
  };
}

/** Hit rates derived from counters, 0..1 (0 when nothing was looked up). */
export interface HitRates {
  l1: number;
  l2: number;
  /**
   * Share of lookups answered from the cache: an L1 or L2 hit (negative hits included) or a join of a
   * load under way, over those plus the misses. Independent of whether L1 is on.
   */
  overall: number;
}

/** The hit rates of some counters (of one namespace, a cache, or counters summed over processes). */
export function hitRates(c: NamespaceCounters): HitRates {
  const ratio = (hits: number, total: number) => (total === 0 ? 0 : hits / total);
  // Every lookup ends as exactly one of: L1 hit, L2 hit, joined a load under way, or miss.
  const answered = c.l1Hits + c.l2Hits + c.coalesced;
  return {
    l1: ratio(c.l1Hits, c.l1Hits + c.l1Misses),
    l2: ratio(c.l2Hits, c.l2Hits + c.l2Misses),
    overall: ratio(answered, answered + c.misses),
  };
}

/** Sums counters of several namespaces. */
export function addCounters(into: NamespaceCounters, from: NamespaceCounters): NamespaceCounters {
  for (const name of Object.keys(from) as (keyof NamespaceCounters)[]) into[name] += from[name];
  return into;
}

/** Counters and latency windows of one namespace. */
export class NamespaceStats {
  readonly counters = emptyCounters();
  private readonly latency = new Map<TimedOperation, LatencyWindow>();

  record(operation: TimedOperation, ms: number): void {
    let window = this.latency.get(operation);
    if (!window) {
      window = new LatencyWindow();
      this.latency.set(operation, window);
    }
    window.record(ms);
  }

  /** Per operation, the samples recorded since the counts in `seen` (keyed `${scope}:${operation}`), which it then advances. */
  samplesSince(scope: string, seen: Map<string, number>): Partial<Record<TimedOperation, number[]>> {
    const out: Partial<Record<TimedOperation, number[]>> = {};
    for (const [operation, window] of this.latency) {
      const key = `${scope}:${operation}`;
      out[operation] = window.samplesSince(seen.get(key) ?? 0);
      seen.set(key, window.total);
    }
    return out;
  }

  latencies(): Partial<Record<TimedOperation, LatencySummary>> {
    const out: Partial<Record<TimedOperation, LatencySummary>> = {};
    for (const [operation, window] of this.latency) out[operation] = window.summary();
    return out;
  }
}
