import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../src/errors.js";
import { cacheSuite } from "./support/cache.js";

describe("early refresh (XFetch)", () => {
  const suite = cacheSuite("xfetch");

  it("refreshes a hot key before it expires, so continuous reads never hard-miss", async () => {
    const cache = await suite.make({ defaults: { jitter: 0, graceMs: 0 } });
    // Loads take 25 ms; TTL 300 ms; beta 2 starts refreshing ~100 ms before expiry.
    const ns = cache.namespace<{ n: number }>("hot", { ttlMs: 300, earlyRefreshBeta: 2 });
    let loads = 0;
    const loader = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 25));
      return { n: loads };
    };
    await ns.getOrSet("k", loader);
    const until = Date.now() + 2_100; // about 7 TTLs
    let reads = 0;
    while (Date.now() < until) {
      await ns.getOrSet("k", loader);
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const counters = cache.stats().totals;
    console.log(
      `xfetch: ${reads} reads over 7 TTLs, ${counters.earlyRefreshes} early refreshes, ${counters.misses - 1} hard misses after the first load`,
    );
    expect(counters.misses).toBe(1); // only the cold start
    expect(counters.earlyRefreshes).toBeGreaterThanOrEqual(5);
    expect(loads).toBe(1 + counters.earlyRefreshes);
  });

  it("does not refresh far from expiry, and beta 0 turns it off", async () => {
    const cache = await suite.make({ defaults: { jitter: 0 } });
    const ns = cache.namespace<number>("cold", { ttlMs: 60_000 });
    const off = cache.namespace<number>("off", { ttlMs: 60_000, earlyRefreshBeta: 0 });
    await ns.getOrSet(1, async () => 1);
    await off.getOrSet(1, async () => 1);
    for (let i = 0; i < 1_000; i++) {
      await ns.getOrSet(1, async () => 1);
      await off.getOrSet(1, async () => 1);
    }
    expect(cache.stats().totals.earlyRefreshes).toBe(0);
  });

  it("checks the call's tags when an L1 hit starts a refresh (a hit does not look at them otherwise)", async () => {
    let now = 1_000_000;
    const cache = await suite.make({ clock: { now: () => now }, random: () => Number.MIN_VALUE, defaults: { jitter: 0, graceMs: 0 } });
    const ns = cache.namespace<number>("tagcheck", { ttlMs: 1_000, earlyRefreshBeta: 10 });
    let loads = 0;
    const loader = async () => ++loads;
    await ns.getOrSet(1, loader, { tags: ["ok"] });
    // Far from expiry: a hit, whatever the tag strings (their shape only is checked on a hit).
    expect(await ns.getOrSet(1, loader, { tags: ["ok", ""] })).toBe(1);
    now += 990;
    // About to expire: this hit would start a refresh that stores its tags; a bad tag is refused, not stored.
    await expect(ns.getOrSet(1, loader, { tags: ["ok", ""] })).rejects.toThrow(InvalidOptionError);
    expect(cache.stats().totals.earlyRefreshes).toBe(1);
    expect(await ns.getOrSet(1, loader, { tags: ["ok"] })).toBe(1);
    await expect.poll(() => loads).toBe(2);
  });
});
