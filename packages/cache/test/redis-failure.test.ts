import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCache } from "../src/index.js";
import { recordingLogger } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { OwnRedisServer } from "./support/redis-server.js";

describe("a failing Redis never fails a read", () => {
  let server: OwnRedisServer;
  beforeAll(async () => {
    server = await OwnRedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("falls through to the loader, counts the failures and logs once per burst", async () => {
    const logger = recordingLogger();
    const cache = createCache({ redis: server.url, prefix: "fail", logger, commandTimeoutMs: 100, l1: false, breakerThreshold: 1_000 });
    await cache.ready();
    const ns = cache.namespace<number>("n", { protection: "none" });
    server.pause(); // commands now time out
    try {
      const loader = vi.fn(async () => 7);
      const values = await Promise.all(Array.from({ length: 20 }, (_, i) => ns.getOrSet(i, loader)));
      expect(values.every((v) => v === 7)).toBe(true);
      expect(loader).toHaveBeenCalledTimes(20);
      const failures = logger.lines.filter((line) => line.message?.includes("redis command failure"));
      expect(failures).toHaveLength(1);
      expect(cache.stats().l2.status).toBe("ready");
    } finally {
      server.resume();
    }
    await waitUntil(async () => (await ns.getOrSet(99, async () => 1)) === 1);
    await cache.close();
  });
});
