import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CacheInternals, cacheInternals } from "../src/cache.js";
import { type Cache, createCache } from "../src/index.js";
import { recordingLogger } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { CLUSTER_NODES, plainClient, type RedisTarget, uniquePrefix } from "./support/redis.js";
import { OwnRedisServer } from "./support/redis-server.js";

/**
 * `clear()` racing loads that began before it, on a keyspace large enough
 * that its SCAN takes hundreds of steps: no fill of such a load may land once
 * clear() has resolved (an entry and its lease sit in different scan buckets,
 * so a sweep alone cannot fence them). On a single Redis of the test's own
 * (300,000 unrelated keys would bloat the shared one), and on the test
 * cluster in the `cache-cluster` project.
 */
describe("clear() racing fills on a large keyspace", () => {
  const FILLER_KEYS = 300_000;
  const LOADS = 400;
  let server: OwnRedisServer | undefined;
  let target: RedisTarget;
  const fillerTag = uniquePrefix("clear-filler");

  beforeAll(async () => {
    if (CLUSTER_NODES) target = { cluster: CLUSTER_NODES };
    else {
      server = await OwnRedisServer.start();
      target = server.url;
    }
    const redis = plainClient(target);
    // Unrelated keys, grouped under 100 hash tags so each MSET stays within one slot on a cluster.
    for (let group = 0; group < 100; group++) {
      const perGroup = FILLER_KEYS / 100;
      for (let start = 0; start < perGroup; start += 1_000) {
        const args: string[] = [];
        for (let n = start; n < Math.min(perGroup, start + 1_000); n++) args.push(`${fillerTag}:{${group}}:${n}`, "x");
        await redis.mset(...args);
      }
    }
    await redis.quit();
  }, 120_000);

  afterAll(async () => {
    if (server) return server.dispose();
    const redis = plainClient(target);
    for (let group = 0; group < 100; group++) {
      const keys = Array.from({ length: FILLER_KEYS / 100 }, (_, n) => `${fillerTag}:{${group}}:${n}`);
      for (let start = 0; start < keys.length; start += 1_000) await redis.unlink(...keys.slice(start, start + 1_000));
    }
    await redis.quit();
  }, 120_000);

  it("after clear() resolves, none of 400 loads that began before it has filled L2 or is served", async () => {
    const prefix = uniquePrefix("clear");
    const logger = recordingLogger();
    const make = async (): Promise<Cache> => {
      const cache = createCache({ redis: target, prefix, logger, defaults: { jitter: 0, earlyRefreshBeta: 0 } });
      await cache.ready();
      return cache;
    };
    const a = await make();
    const b = await make();
    const releases: (() => void)[] = [];
    const loads = Array.from({ length: LOADS }, (_, id) =>
      a.namespace<string>("item").getOrSet(id, () => new Promise<string>((resolve) => releases.push(() => resolve("old")))),
    );
    // Every loader has its lease (and lock) and waits.
    await waitUntil(() => releases.length === LOADS, 20_000, "every load under way");
    const clearStarted = performance.now();
    const clearing = b.namespace<string>("item").clear();
    // Release the loaders while the scan is under way, a few at a time.
    let released = 0;
    let clearDone = false;
    void clearing.finally(() => {
      clearDone = true;
    });
    while (released < LOADS) {
      for (let n = 0; n < 10 && released < LOADS; n++) releases[released++]?.();
      await new Promise((resolve) => setTimeout(resolve, clearDone ? 0 : 2));
    }
    const removed = await clearing;
    const clearMs = performance.now() - clearStarted;
    await Promise.all(loads);
    const redis = cacheInternals(a).redis as NonNullable<CacheInternals["redis"]>;
    let landed = 0;
    for (let id = 0; id < LOADS; id++) if ((await redis.exists(`${prefix}:item:v1:{${id}}`)) === 1) landed++;
    // And what both instances serve after the clear (the bus clear message reaches A's L1).
    await waitUntil(() => (a.stats().bus?.received ?? 0) > 0, 5_000, "A hears the clear");
    let servedOld = 0;
    for (const cache of [a, b])
      for (let id = 0; id < LOADS; id++) if ((await cache.namespace<string>("item").getOrSet(id, async () => "new")) === "old") servedOld++;
    console.log(
      `clear() race (${CLUSTER_NODES ? "cluster" : "single Redis"}, ${FILLER_KEYS} unrelated keys): clear took ${Math.round(clearMs)} ms, ` +
        `removed ${removed}; old fills in L2 after it: ${landed}/${LOADS}; old values served by A and B: ${servedOld}/${2 * LOADS}`,
    );
    if (landed > 0) console.log(JSON.stringify(logger.lines.slice(0, 3)));
    expect(landed).toBe(0);
    expect(servedOld).toBe(0);
    await a.close();
    await b.close();
    const cleanup = plainClient(target);
    for (let id = 0; id < LOADS; id++)
      await cleanup.unlink(`${prefix}:item:v1:{${id}}`, `${prefix}:item:v1:{${id}}:lease`, `${prefix}:item:v1:{${id}}:lock`);
    await cleanup.quit();
  }, 60_000);
});
