import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppRedis, connectAppRedis } from "../src/cache/redis-connection.js";
import { releaseIfHeld } from "../src/lab/run-lock.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** The lab's run lock is freed only by its holder, atomically, on the app's own connection (no Lua of its own). */
describe("the lab's run lock release", () => {
  let app: AppRedis;
  let other: Redis;
  const key = `t-lablock-${randomUUID()}:lab:run`;

  beforeAll(async () => {
    app = connectAppRedis({ mode: "external", target: REDIS_URL, warning: undefined }) as AppRedis;
    other = new Redis(REDIS_URL);
    await new Promise((resolve) => app.once("ready", resolve));
  });
  afterAll(async () => {
    await other.del(key);
    await other.quit();
    await app.quit();
  });

  it("frees the lock it holds, and leaves another run's alone", async () => {
    await other.set(key, "run-a", "PX", 10_000);
    expect(await releaseIfHeld(app, key, "run-b")).toBe(false);
    expect(await other.get(key)).toBe("run-a");
    expect(await releaseIfHeld(app, key, "run-a")).toBe(true);
    expect(await other.exists(key)).toBe(0);
    expect(await releaseIfHeld(app, key, "run-a")).toBe(false);
  });

  it("a lock that lapsed and was taken by the next run between the check and the delete stays the next run's", async () => {
    await other.set(key, "run-a", "PX", 10_000);
    // The worst moment: right after run A read its own token, its lock lapses and run B takes it.
    const get = app.get.bind(app);
    app.get = (async (...args: Parameters<typeof get>) => {
      const value = await get(...args);
      await other.set(key, "run-b", "PX", 10_000);
      return value;
    }) as typeof app.get;
    try {
      expect(await releaseIfHeld(app, key, "run-a")).toBe(false);
    } finally {
      app.get = get;
    }
    expect(await other.get(key)).toBe("run-b");
  });

  it("concurrent releases on one connection do not share a WATCH: only the holder's deletes", async () => {
    for (let round = 0; round < 20; round++) {
      await other.set(key, "holder", "PX", 10_000);
      const results = await Promise.all(["x", "holder", "y", "holder"].map((token) => releaseIfHeld(app, key, token)));
      expect(results).toEqual([false, true, false, false]);
    }
  });
});
