/**
 * The nearest-rank percentile of ascending `sorted` samples: the smallest sample with at least
 * `q` of all samples at or below it (0 for no samples). The one definition used by the stats,
 * the API's lab and the benchmarks (`@hoard/cache/percentile`).
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}
