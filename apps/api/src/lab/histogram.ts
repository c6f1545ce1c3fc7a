import { percentile } from "@hoard/cache/percentile";
/** Upper bounds (ms) of the lab's latency buckets; the last bucket is everything above. */
export const BUCKET_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000] as const;

/** Call latencies: counts per bucket (`counts[i]` for `<= boundsMs[i]`, the last one for above) and a few quantiles. */
export interface LatencyHistogram {
  boundsMs: number[];
  counts: number[];
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export function histogramOf(latenciesMs: number[]): LatencyHistogram {
  const counts = new Array<number>(BUCKET_BOUNDS_MS.length + 1).fill(0);
  for (const ms of latenciesMs) {
    const index = BUCKET_BOUNDS_MS.findIndex((bound) => ms <= bound);
    const bucket = index === -1 ? BUCKET_BOUNDS_MS.length : index;
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => round(percentile(sorted, q));
  return { boundsMs: [...BUCKET_BOUNDS_MS], counts, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: round(sorted[sorted.length - 1] ?? 0) };
}

/** Adds histograms with the same bounds (quantiles become the worst of the parts). */
export function mergeHistograms(parts: LatencyHistogram[]): LatencyHistogram {
  const counts = new Array<number>(BUCKET_BOUNDS_MS.length + 1).fill(0);
  for (const part of parts) {
    part.counts.forEach((count, i) => {
      counts[i] = (counts[i] ?? 0) + count;
    });
  }
  const worst = (pick: (part: LatencyHistogram) => number) => Math.max(0, ...parts.map(pick));
  return {
    boundsMs: [...BUCKET_BOUNDS_MS],
    counts,
    p50Ms: worst((p) => p.p50Ms),
    p95Ms: worst((p) => p.p95Ms),
    maxMs: worst((p) => p.maxMs),
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
