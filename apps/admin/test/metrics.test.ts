import { describe, expect, it } from "vitest";
import { hitRateOver, LatencyHistory, opsColumns, ratesOver, type Sample } from "../src/dashboard/metrics.js";

const sample = (at: number, fields: Partial<Sample>): Sample => ({
  at,
  l1Hits: 0,
  l2Hits: 0,
  negativeHits: 0,
  misses: 0,
  loads: 0,
  coalesced: 0,
  lockWaits: 0,
  lockTimeouts: 0,
  fillsRefused: 0,
  staleServed: 0,
  errors: 0,
  l1Entries: 0,
  getOrSetP95Ms: 0,
  ...fields,
});

describe("dashboard metrics", () => {
  const series = [
    sample(1_000, { l1Hits: 10, misses: 10, loads: 10 }),
    sample(2_000, { l1Hits: 30, l2Hits: 10 }),
    sample(3_000, { l1Hits: 20 }),
  ];

  it("averages per-second rates over the last samples", () => {
    expect(ratesOver(series, 2)).toMatchObject({ l1Hits: 25, l2Hits: 5, loads: 0 });
    expect(ratesOver([], 3).l1Hits).toBe(0);
  });

  it("computes the recent hit rate, or null without traffic", () => {
    expect(hitRateOver(series)).toBeCloseTo(70 / 80);
    expect(hitRateOver([sample(1, {})])).toBeNull();
  });

  it("lays the series out as uPlot columns in seconds", () => {
    expect(opsColumns(series)).toEqual([
      [1, 2, 3],
      [10, 30, 20],
      [0, 10, 0],
      [10, 0, 0],
    ]);
  });

  it("keeps five minutes of latency points and ignores repeats within half a second", () => {
    const history = new LatencyHistory(10_000);
    history.add({ at: 0, p50: 1, p99: 2, redisP99: 0 });
    history.add({ at: 100, p50: 9, p99: 9, redisP99: 0 });
    history.add({ at: 5_000, p50: 1, p99: 2, redisP99: 0 });
    history.add({ at: 12_000, p50: 1, p99: 2, redisP99: 0 });
    expect(history.list().map((point) => point.at)).toEqual([5_000, 12_000]);
  });
});
