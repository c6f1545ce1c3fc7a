import { describe, expect, it, vi } from "vitest";
import { cacheInternals } from "../src/cache.js";
import { LoaderError } from "../src/errors.js";
import { cacheSuite } from "./support/cache.js";
import { ManualClock } from "./support/clock.js";
import { countCommands, keysUnder } from "./support/redis.js";

interface Profile {
  id: number;
  name: string;
}

describe("cache-aside getOrSet", () => {
  const suite = cacheSuite("aside");

  it("loads once, then serves from L1, and from L2 in another process's cache", async () => {
    const a = await suite.make();
    const users = a.namespace<Profile>("user", { version: 1 });
    const loader = vi.fn(async ({ id }: { id: string | number }) => ({ id: Number(id), name: "Ada" }));
    expect(await users.getOrSet(1, loader)).toEqual({ id: 1, name: "Ada" });
    expect(await users.getOrSet(1, loader)).toEqual({ id: 1, name: "Ada" });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await keysUnder(suite.redis, suite.prefix)).toEqual([`${suite.prefix}:user:v1:{1}`]);

    const b = await suite.make();
    const usersB = b.namespace<Profile>("user", { version: 1 });
    expect(await usersB.getOrSet(1, loader)).toEqual({ id: 1, name: "Ada" });
    expect(loader).toHaveBeenCalledTimes(1);
    const stats = b.stats().namespaces[0];
    expect(stats?.counters.l2Hits).toBe(1);
    expect(a.stats().totals.l1Hits).toBe(1);
  });

  it("get, set, has and delete work on both tiers", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Profile>("user");
    expect(await users.get(7)).toBeUndefined();
    expect(await users.has(7)).toBe(false);
    await users.set(7, { id: 7, name: "Grace" });
    expect(await users.get(7)).toEqual({ id: 7, name: "Grace" });
    expect(await users.has(7)).toBe(true);
    await users.delete(7);
    expect(await users.get(7)).toBeUndefined();
    expect(await suite.redis.exists(`${suite.prefix}:user:v1:{7}`)).toBe(0);
  });

  it("rejects values of the wrong type at compile time", async () => {
    const cache = await suite.make({ redis: false });
    const users = cache.namespace<Profile>("user");
    // @ts-expect-error a string is not a Profile
    await users.set(1, "not a profile").catch(() => {});
    // @ts-expect-error the loader must return a Profile
    await users.getOrSet(1, async () => 42).catch(() => {});
    const value: Profile | null = await users.getOrSet(2, async () => ({ id: 2, name: "x" }));
    expect(value?.name).toBe("x");
  });

  it("a loader error reaches the caller as LoaderError with the cause, and nothing is cached", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Profile>("user");
    const cause = new Error("db down");
    const error = await users.getOrSet(3, async () => Promise.reject(cause)).catch((e) => e);
    expect(error).toBeInstanceOf(LoaderError);
    expect(error.code).toBe("E_LOADER");
    expect(error.cause).toBe(cause);
    expect(await users.get(3)).toBeUndefined();
    expect(cache.stats().totals.loadErrors).toBe(1);
  });

  it("an L1 hit sends no Redis command and runs no codec", async () => {
    const decode = vi.fn((bytes: Buffer) => JSON.parse(bytes.toString()));
    const encode = vi.fn((value: unknown) => Buffer.from(JSON.stringify(value)));
    const cache = await suite.make({ codec: { name: "spy", encode, decode } });
    const users = cache.namespace<Profile>("user");
    await users.getOrSet(1, async () => ({ id: 1, name: "Ada" }));
    const commands = countCommands(cacheInternals(cache).redis as never);
    encode.mockClear();
    decode.mockClear();
    for (let i = 0; i < 100; i++) await users.getOrSet(1, async () => ({ id: 1, name: "never" }));
    expect(commands.total()).toBe(0);
    expect(encode).not.toHaveBeenCalled();
    expect(decode).not.toHaveBeenCalled();
  });

  it("works with either tier turned off", async () => {
    const l1Only = await suite.make({ redis: false });
    const loader = vi.fn(async () => ({ id: 1, name: "L1" }));
    await l1Only.namespace<Profile>("user").getOrSet(1, loader);
    await l1Only.namespace<Profile>("user").getOrSet(1, loader);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await keysUnder(suite.redis, suite.prefix)).toEqual([]);

    const l2Only = await suite.make({ l1: false });
    const users = l2Only.namespace<Profile>("user");
    await users.getOrSet(2, loader);
    await users.getOrSet(2, loader);
    expect(loader).toHaveBeenCalledTimes(2);
    expect(l2Only.stats().totals.l2Hits).toBe(1);
    expect(l2Only.stats().l1.entries).toBe(0);
  });

  it("expires entries by TTL on the injected clock", async () => {
    const clock = new ManualClock();
    const cache = await suite.make({ clock, defaults: { jitter: 0, graceMs: 0, earlyRefreshBeta: 0 } });
    const users = cache.namespace<Profile>("user", { ttlMs: 1_000 });
    let version = 0;
    const loader = async () => ({ id: 1, name: `v${++version}` });
    expect((await users.getOrSet(1, loader))?.name).toBe("v1");
    clock.advance(999);
    expect((await users.getOrSet(1, loader))?.name).toBe("v1");
    clock.advance(2);
    expect((await users.getOrSet(1, loader))?.name).toBe("v2");
  });
});
