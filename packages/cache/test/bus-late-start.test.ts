import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCache } from "../src/index.js";
import { recordingLogger, redisBack } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { OwnRedisServer } from "./support/redis-server.js";

/**
 * A process that starts while Redis is down (a deploy during an outage) must
 * join the bus once Redis answers, and drop what it cached while deaf. Before
 * the fix its first SUBSCRIBE failed, was logged once and never retried: the
 * instance ran without the bus for good, serving other instances' deleted
 * values until its short "bus down" L1 TTL ran out, on every read.
 */
describe("bus of a cache started during a Redis outage", () => {
  let server: OwnRedisServer;
  beforeAll(async () => {
    server = await OwnRedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("subscribes once Redis comes up, flushes what it filled while deaf, then hears deletes from other processes", async () => {
    await server.stop();
    const options = {
      redis: server.url,
      prefix: "late-bus",
      logger: recordingLogger(),
      commandTimeoutMs: 250,
      breakerCoolDownMs: 100,
      defaults: { jitter: 0, ttlMs: 60_000 },
    };
    const logger = recordingLogger();
    const late = createCache({ ...options, logger });
    const ns = late.namespace<string>("n");
    let row = "v1";
    const loader = async () => row;
    expect(await ns.getOrSet("k", loader)).toBe("v1"); // L1 only: Redis is down
    expect(late.stats().bus?.connected).toBe(false);
    // A long outage: the client has given up on its queued commands, the first SUBSCRIBE included.
    await waitUntil(() => logger.lines.some((line) => /bus subscribe/.test(line.message ?? "")), 20_000, "the first subscribe to fail");

    await server.restart();
    await waitUntil(() => late.stats().bus?.connected === true, 10_000, "the late cache to join the bus");
    await waitUntil(() => redisBack(late), 10_000, "L2 back");
    // What it cached while deaf may have missed invalidations: dropped when the bus joined.
    expect(late.stats().bus?.flushes).toBeGreaterThanOrEqual(1);

    const other = createCache(options);
    await other.ready();
    try {
      const otherNs = other.namespace<string>("n");
      // Fill L1 and L2 with v2 through the late cache, then delete from the other process.
      row = "v2";
      await ns.delete("k");
      expect(await ns.getOrSet("k", loader)).toBe("v2");
      row = "v3";
      await otherNs.delete("k");
      await waitUntil(async () => (await ns.getOrSet("k", loader)) === "v3", 2_000, "the late cache to drop the deleted value");
      // Many deletes in a row, each heard: never served once the other process acknowledged.
      for (let i = 4; i < 24; i++) {
        row = `v${i}`;
        await otherNs.delete("k");
        await waitUntil(async () => (await ns.getOrSet("k", loader)) === row, 1_000, `delete ${i} heard`);
      }
      expect(late.stats().bus?.received).toBeGreaterThanOrEqual(21);
    } finally {
      await other.close();
      await late.close();
    }
  });
});
