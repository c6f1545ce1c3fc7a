import { describe, expect, it, vi } from "vitest";
import { cacheSuite } from "./support/cache.js";
import { ManualClock } from "./support/clock.js";

interface Item {
  id: number;
  body: string;
}

describe("two tiers", () => {
  const suite = cacheSuite("tiers");

  it("bounds L1 by entry count", async () => {
    const cache = await suite.make({ redis: false, l1: { maxEntries: 3 } });
    const items = cache.namespace<Item>("item");
    for (let id = 1; id <= 5; id++) await items.getOrSet(id, async () => ({ id, body: "x" }));
    expect(cache.stats().l1.entries).toBe(3);
    const loader = vi.fn(async () => ({ id: 1, body: "reloaded" }));
    await items.getOrSet(1, loader); // the least recently used were evicted
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it("bounds L1 by encoded bytes", async () => {
    const cache = await suite.make({ redis: false, l1: { maxEntries: 1_000, maxBytes: 2_000 } });
    const items = cache.namespace<Item>("item");
    for (let id = 1; id <= 20; id++) await items.getOrSet(id, async () => ({ id, body: "y".repeat(300) }));
    const { bytes, entries } = cache.stats().l1;
    expect(bytes).toBeLessThanOrEqual(2_000);
    expect(entries).toBeLessThan(20);
    expect(entries).toBeGreaterThan(0);
  });

  it("fills L1 from an L2 hit with the time the entry has left, not a fresh TTL", async () => {
    const clock = new ManualClock();
    const policy = { jitter: 0, graceMs: 0, earlyRefreshBeta: 0 };
    const writer = await suite.make({ clock, defaults: policy });
    await writer.namespace<Item>("item", { ttlMs: 10_000 }).getOrSet(1, async () => ({ id: 1, body: "from db" }));

    clock.advance(9_000);
    const reader = await suite.make({ clock, defaults: policy });
    const items = reader.namespace<Item>("item", { ttlMs: 10_000 });
    const loader = vi.fn(async () => ({ id: 1, body: "reloaded" }));
    expect((await items.getOrSet(1, loader))?.body).toBe("from db"); // L2 hit, fills L1
    clock.advance(999);
    expect((await items.getOrSet(1, loader))?.body).toBe("from db"); // L1, 1 ms left
    expect(reader.stats().totals.l1Hits).toBe(1);
    clock.advance(2);
    expect((await items.getOrSet(1, loader))?.body).toBe("reloaded"); // L1 did not outlive L2
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it("sets the Redis PTTL to the entry's lifetime (TTL + grace)", async () => {
    const cache = await suite.make({ defaults: { jitter: 0 } });
    await cache.namespace<Item>("item", { ttlMs: 5_000, graceMs: 10_000 }).getOrSet(1, async () => ({ id: 1, body: "x" }));
    const pttl = await suite.redis.pttl(`${suite.prefix}:item:v1:{1}`);
    expect(pttl).toBeGreaterThan(14_000);
    expect(pttl).toBeLessThanOrEqual(15_000);
  });
});
