import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cache, createCache } from "../src/index.js";
import { recordingLogger, redisBack } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { OwnRedisServer } from "./support/redis-server.js";

/**
 * The tag sequence must not go backwards when Redis loses its data (a restart
 * with nothing on disk, a failover to a replica that lags): an entry records the
 * number its load began at, so an invalidation numbered lower than that is
 * ignored. Found by the nemesis (list pages served old after a redis-kill).
 * These tests restart a redis-server of their own, never the shared one.
 */
describe("tag sequence across a Redis that lost its data", () => {
  let server: OwnRedisServer;
  const caches: Cache[] = [];
  const make = async () => {
    const cache = createCache({ redis: server.url, prefix: "tagseq", logger: recordingLogger(), breakerCoolDownMs: 100 });
    caches.push(cache);
    await cache.ready();
    return cache;
  };

  beforeAll(async () => {
    server = await OwnRedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    await server.dispose();
  });

  it("an invalidation after a restart (empty) drops entries loaded before and after it, in L1 and in L2", async () => {
    const [writer, reader, other] = [await make(), await make(), await make()];
    const tags = ["t"];
    // Numbers handed out before the restart: entries loaded from now on record at least this many.
    for (let i = 0; i < 20; i++) expect(await writer.invalidateTags(["warm-up"])).toBe(true);
    await waitUntil(() => reader.stats().bus !== undefined && (reader.stats().bus?.received ?? 0) >= 20, 2_000, "the reader to hear them");
    const pages = reader.namespace<string>("page");
    expect(await pages.getOrSet("p", async () => "before", { tags })).toBe("before");

    await server.restart();
    await waitUntil(() => [writer, reader, other].every(redisBack), 10_000, "every cache back on Redis and the bus");

    // Loaded after the restart, in this process (L1, and L2 for the others).
    expect(await pages.getOrSet("p", async () => "v1", { tags })).toBe("v1");
    await waitUntil(async () => (await other.namespace<string>("page").get("p")) === "v1", 2_000, "the entry in L2");

    expect(await writer.invalidateTags(tags)).toBe(true);
    await waitUntil(() => (reader.stats().bus?.received ?? 0) > 20, 2_000, "the reader to hear the invalidation");
    expect(await pages.getOrSet("p", async () => "v2", { tags })).toBe("v2");
    // A process that read nothing yet decides from the tag state in Redis.
    const fresh = await make();
    expect(await fresh.namespace<string>("page").getOrSet("p", async () => "v3", { tags })).not.toBe("v1");
  });
});
