import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { CacheClosedError, ConnectionError, InvalidOptionError } from "../src/errors.js";
import { createCache } from "../src/index.js";
import { cacheSuite, recordingLogger } from "./support/cache.js";
import { ON_CLUSTER } from "./support/redis.js";

/** Bugs a careful read of the library found (issue 10, §5); each test failed before its fix. */
describe("bugs of a careful read", () => {
  const suite = cacheSuite("careful");

  it("hitRate.overall counts L2 hits with L1 off, and a get() that finds nothing is a miss", async () => {
    const cache = await suite.make({ l1: false });
    const users = cache.namespace<number>("user");
    await users.getOrSet(1, () => 1); // miss: loaded
    await users.getOrSet(1, () => 1); // L2 hit
    expect(cache.stats().hitRate.overall).toBeCloseTo(0.5);
    expect(await users.get(2)).toBeUndefined(); // nothing cached: a miss, not a hit
    expect(cache.stats().hitRate.overall).toBeCloseTo(1 / 3);

    const withL1 = await suite.make();
    const other = withL1.namespace<number>("other");
    expect(await other.get(3)).toBeUndefined();
    expect(withL1.stats().hitRate.overall).toBe(0);
  });

  it("loads without a hard timeout leave no listener behind on their signal", async () => {
    const cache = createCache({ redis: false });
    const users = cache.namespace<number>("user");
    const signals = new Set<AbortSignal>();
    for (let id = 0; id < 1_000; id++) {
      await users.getOrSet(id, ({ signal }) => {
        signal.addEventListener("abort", () => {});
        signals.add(signal);
        return id;
      });
    }
    const listeners = [...signals].reduce((sum, signal) => sum + getEventListeners(signal, "abort").length, 0);
    // Each signal lives as long as its load: at most one (already finished) load's listener per signal.
    expect(listeners / signals.size).toBeLessThanOrEqual(1);
    expect(signals.size).toBeGreaterThan(1);
    await cache.close();
  });

  it("a ready() timeout is a ConnectionError, not an option error", async () => {
    const cache = createCache({ redis: "redis://127.0.0.1:1", bus: false, logger: recordingLogger() });
    const error = await cache.ready(200).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(InvalidOptionError);
    await cache.close();
  });

  it("has() answers false for an entry that fails to decode, and removes it", async () => {
    const cache = await suite.make({ l1: false });
    const users = cache.namespace<{ name: string }>("user");
    await users.getOrSet(1, () => ({ name: "ada" }));
    const key = `${suite.prefix}:user:v1:{1}`;
    const stored = (await suite.redis.getBuffer(key)) as Buffer;
    // A valid header (fresh for a minute) over a payload the JSON codec cannot read.
    await suite.redis.set(key, Buffer.concat([stored.subarray(0, 33), Buffer.from("{not json")]), "PX", 60_000);
    expect(await users.has(1)).toBe(false);
    expect(await suite.redis.exists(key)).toBe(0);
    expect(cache.stats().totals.decodeErrors).toBe(1);
  });

  it("the L1 fast path validates per-call options, and a closed cache does not answer from L1", async () => {
    const cache = createCache({ redis: false });
    const users = cache.namespace<number>("user");
    await users.getOrSet(1, () => 1);
    await expect(users.getOrSet(1, () => 1, { ttlMs: -5 })).rejects.toThrow(InvalidOptionError);
    await expect(users.getOrSetDetailed(1, () => 1, { ttlMs: -5 })).rejects.toThrow(InvalidOptionError);
    await cache.close();
    await expect(users.getOrSet(1, () => 1)).rejects.toThrow(CacheClosedError);
    await expect(users.get(1)).rejects.toThrow(CacheClosedError);
    await expect(users.getOrSetDetailed(1, () => 1)).rejects.toThrow(CacheClosedError);
  });

  it.skipIf(ON_CLUSTER)("a batch loader's Map keyed by String(id) serves number ids; duplicate ids reach the loader once", async () => {
    const cache = await suite.make();
    const users = cache.namespace<string>("user");
    const asked: (string | number)[][] = [];
    const values = await users.getOrSetMany([1, 2, 2, 3, 1], async (ids) => {
      asked.push([...ids]);
      return new Map(ids.filter((id) => id !== 3).map((id) => [String(id), `user ${id}`]));
    });
    expect(values).toEqual(["user 1", "user 2", "user 2", null, "user 1"]);
    expect(asked).toEqual([[1, 2, 3]]);
    expect(await users.get(1)).toBe("user 1");
    expect(await users.get(3)).toBeNull();
  });
});
