import { describe, expect, it } from "vitest";
import { hitRateOver, LatencyHistory, lookupShares, opsColumns, ratesOver, type Sample, withGaps } from "../src/dashboard/metrics.js";

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
    history.add("cluster", { at: 0, p50: 1, p99: 2, redisP99: 0 });
    history.add("cluster", { at: 100, p50: 9, p99: 9, redisP99: 0 });
    history.add("cluster", { at: 5_000, p50: 1, p99: 2, redisP99: 0 });
    history.add("cluster", { at: 12_000, p50: 1, p99: 2, redisP99: 0 });
    expect(history.list("cluster").map((point) => point.at)).toEqual([5_000, 12_000]);
  });
});

describe("lookupShares", () => {
  it("splits lookups into L1, L2, joined and missed shares that add up to 100 %, the hit rate being L1 + L2", () => {
    const shares = lookupShares({ l1Hits: 60, l1Misses: 40, l2Hits: 20, coalesced: 15, misses: 5 });
    expect(shares).toMatchObject({ lookups: 100, l1: 0.6, l2: 0.2, joined: 0.15, missed: 0.05, other: 0, hitRate: 0.8 });
    expect(shares.l1 + shares.l2 + shares.joined + shares.missed + shares.other).toBeCloseTo(1);
  });

  it("is all zero before the first lookup, and never negative when counters are caught mid-update", () => {
    expect(lookupShares({ l1Hits: 0, l1Misses: 0, l2Hits: 0, coalesced: 0, misses: 0 }).hitRate).toBe(0);
    expect(lookupShares({ l1Hits: 1, l1Misses: 1, l2Hits: 1, coalesced: 1, misses: 0 }).other).toBe(0);
  });
});

describe("withGaps", () => {
  it("breaks the line where the tab was closed, and leaves contiguous seconds alone", () => {
    const columns = [
      [100, 101, 102, 160, 161],
      [1, 2, 3, 4, 5],
    ];
    const gapped = withGaps(columns, 2_500);
    expect(gapped[0]).toEqual([100, 101, 102, 131, 160, 161]);
    expect(gapped[1]).toEqual([1, 2, 3, null, 4, 5]);
    expect(
      withGaps(
        [
          [1, 2, 3],
          [1, 1, 1],
        ],
        2_500,
      ),
    ).toEqual([
      [1, 2, 3],
      [1, 1, 1],
    ]);
  });
});
