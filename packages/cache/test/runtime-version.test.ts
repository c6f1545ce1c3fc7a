import { describe, expect, it, vi } from "vitest";
import { InvalidOptionError } from "../src/index.js";
import { cacheSuite } from "./support/cache.js";
import { keysUnder } from "./support/redis.js";

interface Profile {
  id: number;
  name: string;
}

describe("namespace.setVersion: the version changed at run time", () => {
  const suite = cacheSuite("runtime-version");

  it("reads and writes under the new version at once: old entries are unreachable, the next read loads; going back reaches them again", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Profile>("user");
    await users.getOrSet(1, async () => ({ id: 1, name: "at v1" }));
    expect(await users.get(1)).toEqual({ id: 1, name: "at v1" }); // in L1

    users.setVersion(2);
    expect(users.version).toBe(2);
    expect(await users.get(1)).toBeUndefined(); // neither the L1 copy nor the v1 key in L2 is reachable
    expect(await users.has(1)).toBe(false);
    const loader = vi.fn(async () => ({ id: 1, name: "at v2" }));
    expect(await users.getOrSet(1, loader)).toEqual({ id: 1, name: "at v2" });
    expect(loader).toHaveBeenCalledTimes(1);
    expect((await users.peek(1)).key).toBe(`${suite.prefix}:user:v2:{1}`);
    expect(cache.stats().namespaces.find((n) => n.name === "user")?.version).toBe(2);
    expect(await keysUnder(suite.redis, suite.prefix)).toEqual([`${suite.prefix}:user:v1:{1}`, `${suite.prefix}:user:v2:{1}`]);

    // Back: the v1 key is still in Redis (until its TTL) and reachable again; this process's L1 starts empty.
    users.setVersion(1);
    expect(await users.getOrSet(1, loader)).toEqual({ id: 1, name: "at v1" });
    expect(loader).toHaveBeenCalledTimes(1);
    // Every page of the browse (on a cluster a page may come back empty with a cursor to go on).
    const browsed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await users.inspect({ tier: "l2", ...(cursor ? { cursor } : {}) });
      browsed.push(...page.entries.map((entry) => entry.key));
      cursor = page.cursor === "0" ? undefined : page.cursor;
    } while (cursor);
    expect(browsed).toEqual([`${suite.prefix}:user:v1:{1}`]);
  });

  it("drops this process's L1 copies of the old version (they would be served from L1 otherwise)", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Profile>("user");
    await users.set(7, { id: 7, name: "v1" });
    users.setVersion(3);
    users.setVersion(1);
    await suite.redis.del(`${suite.prefix}:user:v1:{7}`); // only L1 could still answer now
    expect(await users.get(7)).toBeUndefined();
    expect((await users.inspect({ tier: "l1" })).entries).toEqual([]);
  });

  it("a load begun under the old version fills only the old key, never the new version's L1 or L2", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Profile>("user");
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = users.getOrSet(5, async () => {
      await gate;
      return { id: 5, name: "loaded under v1" };
    });
    await vi.waitFor(() => expect(cache.stats().inFlight).toBe(1));
    users.setVersion(2);
    release();
    expect((await slow)?.name).toBe("loaded under v1"); // the caller still gets its answer
    const fresh = vi.fn(async () => ({ id: 5, name: "loaded under v2" }));
    expect((await users.getOrSet(5, fresh))?.name).toBe("loaded under v2");
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it("another process at the old version keeps its own keys; bus invalidations reach only the version they name", async () => {
    const a = (await suite.make()).namespace<Profile>("user");
    const b = (await suite.make()).namespace<Profile>("user");
    await a.set(9, { id: 9, name: "v1" });
    a.setVersion(2);
    await a.set(9, { id: 9, name: "v2" });
    expect(await b.get(9)).toEqual({ id: 9, name: "v1" });
    b.setVersion(2);
    expect(await b.get(9)).toEqual({ id: 9, name: "v2" });
  });

  it("refuses a version that is not a positive integer, naming the option; cache.namespace() then matches the current version", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Profile>("user", { version: 1 });
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => users.setVersion(bad)).toThrow(InvalidOptionError);
    expect(() => users.setVersion(0)).toThrow(/version/);
    users.setVersion(4);
    expect(cache.namespace<Profile>("user", { version: 4 })).toBe(users);
    expect(() => cache.namespace<Profile>("user", { version: 1 })).toThrow(/"version" \(4, now 1\)/);
  });
});
