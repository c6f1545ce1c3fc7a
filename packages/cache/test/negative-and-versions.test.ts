import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { HEADER_BYTES } from "../src/encoding/envelope.js";
import { cacheSuite } from "./support/cache.js";
import { ManualClock } from "./support/clock.js";
import { keysUnder } from "./support/redis.js";

interface Profile {
  id: number;
  name: string;
}

describe("negative caching", () => {
  const suite = cacheSuite("negative");

  it("caches an absent id for negativeTtlMs and counts negative hits apart", async () => {
    const clock = new ManualClock();
    const cache = await suite.make({ clock, defaults: { jitter: 0, earlyRefreshBeta: 0 } });
    const users = cache.namespace<Profile>("user", { negativeTtlMs: 500 });
    const loader = vi.fn(async () => null);
    expect(await users.getOrSet(404, loader)).toBeNull();
    expect(await users.getOrSet(404, loader)).toBeNull();
    expect(loader).toHaveBeenCalledTimes(1);

    // Another process sees the marker in L2 and does not load either.
    const other = await suite.make({ clock, defaults: { jitter: 0, earlyRefreshBeta: 0 } });
    expect(await other.namespace<Profile>("user", { negativeTtlMs: 500 }).getOrSet(404, loader)).toBeNull();
    expect(loader).toHaveBeenCalledTimes(1);

    const counters = cache.stats().totals;
    expect(counters.negativeHits).toBe(1);
    expect(counters.l1Hits).toBe(1);
    expect(other.stats().totals.negativeHits).toBe(1);

    expect(await users.get(404)).toBeNull(); // null = cached as absent; undefined = not cached
    clock.advance(501);
    await users.getOrSet(404, loader);
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it("stores undefined as absent too, with the short TTL in Redis", async () => {
    const cache = await suite.make({ defaults: { jitter: 0 } });
    const users = cache.namespace<Profile>("user", { negativeTtlMs: 2_000, ttlMs: 60_000 });
    expect(await users.getOrSet(1, async () => undefined)).toBeNull();
    const pttl = await suite.redis.pttl(`${suite.prefix}:user:v1:{1}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(2_000); // no grace for absent markers
  });
});

describe("versioned keys and clear", () => {
  const suite = cacheSuite("versions");

  it("makes old entries unreachable when the version is bumped", async () => {
    const v1 = await suite.make();
    await v1.namespace<Profile>("user", { version: 1 }).getOrSet(1, async () => ({ id: 1, name: "old shape" }));
    const v2 = await suite.make();
    const loader = vi.fn(async () => ({ id: 1, name: "new shape" }));
    expect((await v2.namespace<Profile>("user", { version: 2 }).getOrSet(1, loader))?.name).toBe("new shape");
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await keysUnder(suite.redis, suite.prefix)).toEqual([`${suite.prefix}:user:v1:{1}`, `${suite.prefix}:user:v2:{1}`]);
  });

  it("clear() removes every key of the namespace (all versions) and no other", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Profile>("user", { version: 2 });
    const sessions = cache.namespace<Profile>("users"); // a name that starts like "user"
    for (let id = 0; id < 1_200; id++) await users.set(id, { id, name: "x" });
    await suite.redis.set(`${suite.prefix}:user:v1:{9}`, "old version");
    await sessions.set(1, { id: 1, name: "keep me" });
    expect(await users.clear()).toBe(1_201);
    // Only the clear generation (its copies on a cluster) stays, until its TTL.
    const left = await keysUnder(suite.redis, suite.prefix);
    expect(left.filter((key) => !key.startsWith(`${suite.prefix}:user:gen`))).toEqual([`${suite.prefix}:users:v1:{1}`]);
    expect(left.some((key) => key.startsWith(`${suite.prefix}:user:gen`))).toBe(true);
    const loader = vi.fn(async () => ({ id: 5, name: "reloaded" }));
    expect((await users.getOrSet(5, loader))?.name).toBe("reloaded"); // L1 was cleared too
    expect(await sessions.get(1)).toEqual({ id: 1, name: "keep me" });
  });

  it("treats garbage bytes in Redis as a miss: deleted, counted, never an error", async () => {
    const cache = await suite.make({ l1: false });
    const users = cache.namespace<Profile>("user");
    const key = `${suite.prefix}:user:v1:{1}`;
    await suite.redis.set(key, Buffer.from([0x00, 0xff, 0x13, 0x37]));
    const loader = vi.fn(async () => ({ id: 1, name: "fresh" }));
    expect(await users.getOrSet(1, loader)).toEqual({ id: 1, name: "fresh" });
    expect(cache.stats().totals.decodeErrors).toBe(1);
    // A valid header with a broken payload is caught by the codec.
    const stored = (await suite.redis.getBuffer(key)) as Buffer;
    await suite.redis.set(key, Buffer.concat([stored.subarray(0, HEADER_BYTES), Buffer.from("{not json")]));
    expect(await users.get(1)).toBeUndefined();
    expect(await suite.redis.exists(key)).toBe(0);
    expect(cache.stats().totals.decodeErrors).toBe(2);
  });

  it("treats a value that fails the namespace schema as a miss", async () => {
    const schema = z.object({ id: z.number(), name: z.string() });
    const writer = await suite.make();
    await writer.namespace<unknown>("user").set(1, { id: "one", name: 1 });
    const reader = await suite.make();
    const users = reader.namespace("user", { schema });
    const loader = vi.fn(async () => ({ id: 1, name: "valid" }));
    expect(await users.getOrSet(1, loader)).toEqual({ id: 1, name: "valid" });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(reader.stats().totals.decodeErrors).toBe(1);
  });
});
