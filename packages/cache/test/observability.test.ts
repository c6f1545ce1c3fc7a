import { checkMetrics, promtoolOrSkip } from "@hoard/test-servers";
import { Registry } from "prom-client";
import { describe, expect, it, vi } from "vitest";
import type { CacheEventMap } from "../src/observability/events.js";
import { registerCacheMetrics } from "../src/observability/prometheus.js";
import { cacheSuite } from "./support/cache.js";

describe("events, stats and metrics", () => {
  const suite = cacheSuite("observe");

  it("emits typed events for hits per tier, misses, negative hits, fills and coalescing", async () => {
    const cache = await suite.make({ defaults: { protection: "local" } });
    const seen: string[] = [];
    const record =
      <E extends keyof CacheEventMap>(name: E) =>
      (event: CacheEventMap[E]) =>
        seen.push("tier" in event ? `${name}:${event.tier}` : name);
    cache.on("hit", record("hit"));
    cache.on("miss", record("miss"));
    cache.on("negativeHit", record("negativeHit"));
    cache.on("fill", record("fill"));
    cache.on("coalesced", record("coalesced"));
    const ns = cache.namespace<number>("n");
    await Promise.all([ns.getOrSet(1, async () => 1), ns.getOrSet(1, async () => 1)]);
    await ns.getOrSet(1, async () => 1);
    await ns.getOrSet(2, async () => null);
    await ns.getOrSet(2, async () => null);
    const other = await suite.make();
    other.on("hit", record("hit"));
    await other.namespace<number>("n").getOrSet(1, async () => 1);
    expect(seen).toEqual(["coalesced", "miss", "fill", "hit:l1", "miss", "fill", "negativeHit:l1", "hit:l2"]);
  });

  it("reports per-tier hit rates and latency percentiles in stats()", async () => {
    const cache = await suite.make();
    const ns = cache.namespace<number>("n");
    for (let i = 0; i < 10; i++) await ns.getOrSet(i % 2, async () => i);
    const snapshot = cache.stats();
    const n = snapshot.namespaces.find((x) => x.name === "n");
    expect(n?.counters.loads).toBe(2);
    expect(n?.counters.l1Hits).toBe(8);
    expect(n?.hitRate.l1).toBeCloseTo(0.8);
    expect(n?.hitRate.overall).toBeCloseTo(0.8);
    expect(n?.latency.getOrSet?.count).toBe(2);
    expect(n?.latency.getOrSet?.p99).toBeGreaterThan(0);
    expect(snapshot.l2.roundTrip.count).toBeGreaterThan(0);
    expect(snapshot.bus?.connected).toBe(true);
  });

  it("busHealth() is stats().bus without the snapshot, and null without a bus", async () => {
    const cache = await suite.make();
    const stats = vi.spyOn(cache, "stats");
    expect(cache.busHealth()).toMatchObject({ connected: true });
    expect(stats).not.toHaveBeenCalled();
    stats.mockRestore();
    expect(cache.busHealth()).toEqual(cache.stats().bus);
    const busless = await suite.make({ bus: false });
    expect(busless.busHealth()).toBeNull();
  });

  it("exposes the numbers through a prom-client registry", async () => {
    const cache = await suite.make();
    const registry = new Registry();
    registerCacheMetrics(cache, { registry });
    const ns = cache.namespace<number>("n");
    await ns.getOrSet(1, async () => 1);
    await ns.getOrSet(1, async () => 1);
    const text = await registry.metrics();
    expect(text).toContain('hoard_cache_l1_hits_total{namespace="n"} 1');
    expect(text).toContain('hoard_cache_loads_total{namespace="n"} 1');
    expect(text).toContain('hoard_cache_operation_duration_seconds_count{namespace="n",operation="getOrSet"} 1');
    expect(text).toContain("# TYPE hoard_cache_l1_hits_total counter");
    expect(text).not.toContain("quantile=");
    expect(text).toContain("hoard_cache_bus_connected 1");
    // A second scrape adds only what happened since the first: the histogram count stays exact.
    await ns.getOrSet(2, async () => 2);
    const again = await registry.metrics();
    expect(again).toContain('hoard_cache_operation_duration_seconds_count{namespace="n",operation="getOrSet"} 2');
  });

  it("takes one stats snapshot per scrape", async () => {
    const cache = await suite.make();
    const registry = new Registry();
    registerCacheMetrics(cache, { registry });
    await cache.namespace<number>("n").getOrSet(1, async () => 1);
    const stats = vi.spyOn(cache, "stats");
    await registry.metrics();
    expect(stats).toHaveBeenCalledTimes(1);
    await registry.metrics();
    expect(stats).toHaveBeenCalledTimes(2);
  });

  it("passes promtool check metrics with no finding (skipped without promtool)", async (context) => {
    const promtool = promtoolOrSkip((note) => context.skip(note));
    if (!promtool) return;
    const cache = await suite.make();
    const registry = new Registry();
    registerCacheMetrics(cache, { registry });
    const ns = cache.namespace<number>("n");
    await ns.getOrSet(1, async () => 1);
    await ns.getOrSet(1, async () => 1);
    const result = checkMetrics(promtool, await registry.metrics());
    expect(result.findings).toEqual([]);
    expect(result.status).toBe(0);
  });
});
