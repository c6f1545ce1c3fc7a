import type { CacheStats } from "../trpc.js";

export type Sample = CacheStats["series"][number];

const FIELDS = ["l1Hits", "l2Hits", "negativeHits", "misses", "loads", "staleServed", "coalesced", "lockWaits"] as const;
export type Rates = Record<(typeof FIELDS)[number], number>;

/** Per-second counts over the last `seconds` samples (one sample per second), averaged. */
export function ratesOver(series: readonly Sample[], seconds = 3): Rates {
  const window = series.slice(-seconds);
  const rates = Object.fromEntries(FIELDS.map((field) => [field, 0])) as Rates;
  if (window.length === 0) return rates;
  for (const sample of window) for (const field of FIELDS) rates[field] += sample[field];
  for (const field of FIELDS) rates[field] /= window.length;
  return rates;
}

/** The hit rate of {@link lookupShares} (L1 + L2 hits over lookups) over the last `seconds`; null with no traffic. */
export function hitRateOver(series: readonly Sample[], seconds = 10): number | null {
  let hits = 0;
  let lookups = 0;
  for (const sample of series.slice(-seconds)) {
    hits += sample.l1Hits + sample.l2Hits;
    lookups += sample.l1Hits + sample.l2Hits + sample.coalesced + sample.misses;
  }
  return lookups === 0 ? null : hits / lookups;
}

/** The series as uPlot columns: x in epoch seconds, then L1 hits/s, L2 hits/s, database loads/s. */
export function opsColumns(series: readonly Sample[]): [number[], number[], number[], number[]] {
  return [series.map((s) => s.at / 1000), series.map((s) => s.l1Hits), series.map((s) => s.l2Hits), series.map((s) => s.loads)];
}

/** p50 and p99 of `getOrSet` past L1 (the library times calls that reach L2 or the loader), worst namespace. */
export function getOrSetLatency(stats: Pick<CacheStats, "namespaces">): { p50: number; p99: number; count: number } {
  let p50 = 0;
  let p99 = 0;
  let count = 0;
  for (const namespace of stats.namespaces) {
    const summary = namespace.latency.getOrSet;
    if (!summary) continue;
    p50 = Math.max(p50, summary.p50);
    p99 = Math.max(p99, summary.p99);
    count += summary.count;
  }
  return { p50, p99, count };
}

export interface LatencyPoint {
  at: number;
  p50: number;
  p99: number;
  redisP99: number;
}

/**
 * The latency percentiles seen at each poll, for the last `spanMs` (5 minutes).
 * The API keeps rates per second but percentiles only as a sliding window, so
 * the history is gathered here while the admin is open.
 */
export class LatencyHistory {
  private readonly points = new Map<string, LatencyPoint[]>();

  constructor(private readonly spanMs = 5 * 60_000) {}

  /** Adds a point to the history of `scope` (the cluster, or one instance's id). */
  add(scope: string, point: LatencyPoint): void {
    const points = this.points.get(scope) ?? [];
    this.points.set(scope, points);
    const last = points[points.length - 1];
    if (last && point.at - last.at < 500) return;
    points.push(point);
    const oldest = point.at - this.spanMs;
    while ((points[0]?.at ?? oldest) < oldest) points.shift();
  }

  list(scope: string): readonly LatencyPoint[] {
    return this.points.get(scope) ?? [];
  }
}

/** Kept across page changes within the tab. */
export const latencyHistory = new LatencyHistory();

/** The counters the lookup breakdown reads. */
export type LookupCounters = Pick<CacheStats["totals"], "l1Hits" | "l1Misses" | "l2Hits" | "coalesced" | "misses">;

/**
 * Every lookup (a `getOrSet` call, or one id of a batch) ends in exactly one
 * of these, so the shares add up to 100 %: answered from L1, from L2, joined
 * a load already running in its process, or missed both tiers (then loaded
 * from the database, waited on the lock, or served stale). `other` is what the
 * counters cannot place (lookups still in flight); the hit rate is L1 + L2.
 */
export interface LookupShares {
  lookups: number;
  l1: number;
  l2: number;
  joined: number;
  missed: number;
  other: number;
  hitRate: number;
}

export function lookupShares(c: LookupCounters): LookupShares {
  const lookups = c.l1Hits + c.l1Misses;
  const share = (n: number) => (lookups === 0 ? 0 : n / lookups);
  const other = Math.max(0, lookups - c.l1Hits - c.l2Hits - c.coalesced - c.misses);
  return {
    lookups,
    l1: share(c.l1Hits),
    l2: share(c.l2Hits),
    joined: share(c.coalesced),
    missed: share(c.misses),
    other: share(other),
    hitRate: share(c.l1Hits + c.l2Hits),
  };
}

/**
 * uPlot columns with a null row wherever two points are more than `maxStepMs`
 * apart (the tab was closed or hidden, the API stalled): uPlot breaks the line
 * at a null rather than drawing it across the gap.
 */
export function withGaps(columns: readonly (readonly (number | null)[])[], maxStepMs: number): (number | null)[][] {
  const [times = [], ...values] = columns;
  const out: (number | null)[][] = columns.map(() => []);
  for (let i = 0; i < times.length; i++) {
    const at = times[i] as number;
    const previous = i > 0 ? (times[i - 1] as number) : undefined;
    if (previous !== undefined && (at - previous) * 1000 > maxStepMs) {
      out[0]?.push((previous + at) / 2);
      for (let v = 0; v < values.length; v++) out[v + 1]?.push(null);
    }
    out[0]?.push(at);
    for (let v = 0; v < values.length; v++) out[v + 1]?.push(values[v]?.[i] ?? null);
  }
  return out;
}
