import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCache } from "../src/index.js";
import { recordingLogger } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { OwnRedisServer } from "./support/redis-server.js";

/** These tests stop and pause a redis-server of their own, never the shared one. */
describe("Redis slow or down", () => {
  let server: OwnRedisServer;
  beforeAll(async () => {
    server = await OwnRedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("stopped under continuous reads: zero failed reads, the loader serves; restarted: L2 serves again and L1 was cleared", async () => {
    const cache = createCache({
      redis: server.url,
      prefix: "outage",
      logger: recordingLogger(),
      commandTimeoutMs: 250,
      breakerCoolDownMs: 200,
      defaults: { jitter: 0, ttlMs: 60_000 },
    });
    await cache.ready();
    const ns = cache.namespace<{ id: number }>("n");
    let loads = 0;
    const loader = async ({ id }: { id: string | number }) => {
      loads++;
      return { id: Number(id) };
    };
    let failures = 0;
    let reads = 0;
    let stop = false;
    const reader = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await ns.getOrSet(i % 50, loader, { ttlMs: i % 2 === 0 ? 60_000 : 1 });
          reads++;
        } catch {
          failures++;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await waitUntil(() => reads > 200, 5_000, "warm reads");
    await server.stop();
    const readsAtStop = reads;
    await waitUntil(() => reads > readsAtStop + 500, 10_000, "reads while Redis is down");
    expect(cache.stats().bus?.connected).toBe(false);
    const loadsWhileDown = loads;

    await server.restart();
    await waitUntil(() => cache.stats().l2.circuit === "closed" && cache.stats().l2.status === "ready", 10_000, "L2 back");
    await waitUntil(() => cache.stats().bus?.connected === true, 10_000, "bus back");
    const l2HitsBefore = cache.stats().totals.l2Hits;
    const other = createCache({ redis: server.url, prefix: "outage", logger: recordingLogger() });
    await other.ready();
    await other.namespace<{ id: number }>("n").set("from-other", { id: -1 });
    // The loader refuses this id, so only an L2 hit can answer (nothing wrong gets cached meanwhile).
    const onlyFromL2 = async () => {
      throw new Error("not in the database");
    };
    await waitUntil(
      async () => {
        try {
          return (await ns.getOrSet("from-other", onlyFromL2))?.id === -1;
        } catch {
          return false;
        }
      },
      10_000,
      "L2 read after restart",
    );
    stop = true;
    await reader;
    expect(failures).toBe(0);
    expect(loadsWhileDown).toBeGreaterThan(0);
    expect(cache.stats().totals.l2Hits).toBeGreaterThan(l2HitsBefore);
    expect(cache.stats().bus?.flushes).toBeGreaterThanOrEqual(2); // on disconnect and again on reconnect
    await other.close();
    await cache.close();
  });

  it("paused (SIGSTOP): callers do not wait on Redis once the breaker opens, and it recovers by itself", async () => {
    const cache = createCache({
      redis: server.url,
      prefix: "slow",
      logger: recordingLogger(),
      commandTimeoutMs: 100,
      breakerThreshold: 2,
      breakerCoolDownMs: 300,
      l1: false,
    });
    await cache.ready();
    const ns = cache.namespace<number>("n", { protection: "local" });
    await ns.set("warm", 1);
    server.pause();
    try {
      // The first calls pay one command timeout each, until the breaker opens.
      await ns.getOrSet("a", async () => 1);
      await ns.getOrSet("b", async () => 1);
      expect(cache.stats().l2.circuit).toBe("open");
      const started = performance.now();
      for (let i = 0; i < 50; i++) await ns.getOrSet(`c${i}`, async () => 2);
      const perCallMs = (performance.now() - started) / 50;
      expect(perCallMs).toBeLessThan(20); // far below the 100 ms command timeout
    } finally {
      server.resume();
    }
    await waitUntil(
      async () => {
        await ns.get("warm");
        return cache.stats().l2.circuit === "closed";
      },
      5_000,
      "breaker closed after the probe",
    );
    expect(await ns.get("warm")).toBe(1);
    expect(cache.stats().l2.circuitOpens).toBeGreaterThanOrEqual(1);
    await cache.close();
  });
});
