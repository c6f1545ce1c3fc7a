import { percentile as nearestRank } from "@hoard/cache/percentile";
/** Statistics of repeated measurements of one side. */
export interface Measured {
  name: string;
  samples: number[];
  median: number;
  min: number;
  max: number;
}

export function summarize(name: string, samples: number[]): Measured {
  const sorted = [...samples].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? (sorted[(sorted.length - 1) / 2] as number)
      : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  return { name, samples, median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/** Percentile of a list, by the cache's own (nearest-rank) definition. */
export function percentile(values: number[], q: number): number {
  return nearestRank(
    [...values].sort((a, b) => a - b),
    q,
  );
}

/** One contender: `measure` runs one round and returns its figure (ns/op, µs, ops/s...). */
export interface Side {
  name: string;
  measure(): Promise<number>;
}

/**
 * Runs every side once per round, in rotating order, for `rounds` rounds:
 * interleaving spreads the machine's noise evenly over the sides.
 */
export async function interleave(sides: Side[], rounds: number): Promise<Measured[]> {
  const samples = sides.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const index = (round + k) % sides.length;
      samples[index]?.push(await (sides[index] as Side).measure());
    }
  }
  return sides.map((side, i) => summarize(side.name, samples[i] as number[]));
}

/** Nanoseconds per call of `op`, over `iterations` sequential awaited calls. */
export async function nsPerOp(iterations: number, op: () => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await op();
  return Number(process.hrtime.bigint() - started) / iterations;
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** "median (min–max)" */
export function spread(m: Measured, digits = 0): string {
  return `${formatNumber(m.median, digits)} (${formatNumber(m.min, digits)}–${formatNumber(m.max, digits)})`;
}

/** The p50, in µs, of `ops` calls of `op` one after another, over ids 0..keyCount-1 (rows 2 and 13). */
export async function serialP50(ops: number, keyCount: number, op: (id: number) => Promise<unknown>): Promise<number> {
  const latencies: number[] = [];
  for (let i = 0; i < ops; i++) {
    const started = process.hrtime.bigint();
    await op(i % keyCount);
    latencies.push(Number(process.hrtime.bigint() - started) / 1_000);
  }
  return percentile(latencies, 0.5);
}
