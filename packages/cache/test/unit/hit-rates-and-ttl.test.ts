import { describe, expect, it } from "vitest";
import { emptyCounters, hitRates } from "../../src/observability/stats.js";
import { capExpiry, expiryOf, jitterTtl } from "../../src/time/ttl.js";

describe("hit rates", () => {
  it("overall is (L1 + L2 hits + joined loads) / (those + misses), with L1 on or off", () => {
    const withL1 = { ...emptyCounters(), l1Hits: 6, l1Misses: 4, l2Hits: 2, l2Misses: 2, coalesced: 1, misses: 1 };
    expect(hitRates(withL1)).toEqual({ l1: 0.6, l2: 0.5, overall: 0.9 });
    const withoutL1 = { ...emptyCounters(), l2Hits: 3, l2Misses: 1, misses: 1 };
    expect(hitRates(withoutL1)).toEqual({ l1: 0, l2: 0.75, overall: 0.75 });
    expect(hitRates(emptyCounters())).toEqual({ l1: 0, l2: 0, overall: 0 });
  });
});

describe("TTL arithmetic", () => {
  const policy = { ttlMs: 60_000, negativeTtlMs: 5_000, jitter: 0.1, graceMs: 300_000 };

  it("jitter spreads a TTL by at most ±fraction, and 0 leaves it alone", () => {
    expect(jitterTtl(1_000, 0.1, () => 0)).toBe(900);
    expect(jitterTtl(1_000, 0.1, () => 0.5)).toBe(1_000);
    expect(jitterTtl(1_000, 0.1, () => 0.999_999)).toBe(1_100);
    expect(jitterTtl(1_000, 0, () => 0)).toBe(1_000);
    expect(jitterTtl(1, 0.9, () => 0)).toBe(1); // never 0
  });

  it("values get the jittered TTL then grace; absent markers their own TTL and no grace", () => {
    expect(expiryOf(1_000, false, policy, () => 0.5)).toEqual({ freshUntil: 61_000, staleUntil: 361_000 });
    expect(expiryOf(1_000, true, policy, () => 0.5)).toEqual({ freshUntil: 6_000, staleUntil: 6_000 });
    expect(expiryOf(1_000, false, policy, () => 0).freshUntil).toBe(1_000 + 54_000);
  });

  it("capExpiry shortens both ends, never lengthens", () => {
    expect(capExpiry({ freshUntil: 10, staleUntil: 20 }, 15)).toEqual({ freshUntil: 10, staleUntil: 15 });
    expect(capExpiry({ freshUntil: 10, staleUntil: 20 }, 5)).toEqual({ freshUntil: 5, staleUntil: 5 });
    expect(capExpiry({ freshUntil: 10, staleUntil: 20 }, 50)).toEqual({ freshUntil: 10, staleUntil: 20 });
  });
});
