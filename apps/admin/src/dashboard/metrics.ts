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

/** Share of lookups answered from a tier (negative hits included) over the last `seconds`; null with no traffic. */
export function hitRateOver(series: readonly Sample[], seconds = 10): number | null {
  let hits = 0;
  let misses = 0;
  for (const sample of series.slice(-seconds)) {
    hits += sample.l1Hits + sample.l2Hits;
    misses += sample.misses;
  }
  return hits + misses === 0 ? null : hits / (hits + misses);
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
  private points: LatencyPoint[] = [];

  constructor(private readonly spanMs = 5 * 60_000) {}

  add(point: LatencyPoint): void {
    const last = this.points[this.points.length - 1];
    if (last && point.at - last.at < 500) return;
    this.points.push(point);
    const oldest = point.at - this.spanMs;
    while ((this.points[0]?.at ?? oldest) < oldest) this.points.shift();
  }

  list(): readonly LatencyPoint[] {
    return this.points;
  }
}

/** Kept across page changes within the tab. */
export const latencyHistory = new LatencyHistory();
