import { seededRandom } from "@hoard/test-servers";
import { describe, expect, it } from "vitest";
import { cacheInternals } from "../src/cache.js";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { type CacheWorker, workerSuite } from "./support/worker.js";

type Row = { row: string };

/** Ordered write-through: `set(id, value, { version })` against the real Redis. */
describe("versioned set (write-through, ordered)", () => {
  const suite = cacheSuite("wthru");

  it("an older version is refused and leaves the newer value; the result says so", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Row>("user");
    expect(await users.set(1, { row: "v5" }, { version: 5 })).toEqual({ outcome: "stored", version: 5 });
    expect(await users.set(1, { row: "v4" }, { version: 4 })).toEqual({ outcome: "refused", version: 4, currentVersion: 5 });
    expect(await users.get(1)).toEqual({ row: "v5" });
    expect(cache.stats().totals.setsRefused).toBe(1);
  });

  it("an equal version is refused (not newer); a newer one lands", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Row>("user");
    await users.set(1, { row: "v5" }, { version: 5 });
    expect((await users.set(1, { row: "v5 again" }, { version: 5 })).outcome).toBe("refused");
    expect(await users.get(1)).toEqual({ row: "v5" });
    expect((await users.set(1, { row: "v6" }, { version: 6 })).outcome).toBe("stored");
    expect(await users.get(1)).toEqual({ row: "v6" });
  });

  it("a delete with a version fences later sets of that version or older, in another cache too", async () => {
    const a = await suite.make();
    const b = await suite.make();
    await a.namespace<Row>("user").set(1, { row: "v3" }, { version: 3 });
    expect(await a.namespace<Row>("user").delete(1, { version: 7 })).toBe(true);
    expect((await b.namespace<Row>("user").set(1, { row: "v6" }, { version: 6 })).outcome).toBe("refused");
    expect((await b.namespace<Row>("user").set(1, { row: "v7" }, { version: 7 })).outcome).toBe("refused");
    expect(await b.namespace<Row>("user").get(1)).toBeUndefined();
    expect((await b.namespace<Row>("user").set(1, { row: "v8" }, { version: 8 })).outcome).toBe("stored");
  });

  it("an older or equal delete is refused like a set: it leaves the newer value", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Row>("user");
    await users.set(1, { row: "v6" }, { version: 6 });
    expect(await users.delete(1, { version: 6 })).toBe(true);
    expect(await users.delete(1, { version: 5 })).toBe(true);
    expect(await users.get(1)).toEqual({ row: "v6" });
    expect(await users.delete(1, { version: 7 })).toBe(true);
    expect(await users.get(1)).toBeUndefined();
  });

  it("the fence has a bounded TTL: at least the value's, at least versionFenceTtlMs after a delete", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Row>("user", { versionFenceTtlMs: 2_000, ttlMs: 10_000, graceMs: 0, jitter: 0 });
    await users.delete(1, { version: 2 });
    const fence = `${suite.prefix}:user:fence:v1:{1}`;
    expect(await suite.redis.get(fence)).toBe("2");
    const afterDelete = await suite.redis.pttl(fence);
    expect(afterDelete).toBeGreaterThan(1_000);
    expect(afterDelete).toBeLessThanOrEqual(2_000);
    await users.set(1, { row: "v3" }, { version: 3 });
    expect(await suite.redis.pttl(fence)).toBeGreaterThan(9_000);
    // A later delete never shortens it.
    await users.delete(1, { version: 4 });
    expect(await suite.redis.get(fence)).toBe("4");
    expect(await suite.redis.pttl(fence)).toBeGreaterThan(9_000);
  });

  it("clear() does not forget versions: an older set after a clear is refused, a newer one lands", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Row>("user");
    await users.set(1, { row: "v5" }, { version: 5 });
    await users.clear();
    expect(await users.get(1)).toBeUndefined();
    expect((await users.set(1, { row: "v4" }, { version: 4 })).outcome).toBe("refused");
    expect(await users.get(1)).toBeUndefined();
    expect((await users.set(1, { row: "v6" }, { version: 6 })).outcome).toBe("stored");
    expect(await users.get(1)).toEqual({ row: "v6" });
  });

  it("a clear() while a versioned set is in flight keeps the set's value out of this L1 (the epoch moved)", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Row>("user");
    const setting = users.set(1, { row: "v1" }, { version: 1 });
    const clearing = users.clear();
    await Promise.all([setting, clearing]);
    const l1 = await users.inspect({ tier: "l1" });
    const l2 = await users.get(1);
    // Either order is linearizable, but L1 never holds what L2 lost to the clear.
    if (l2 === undefined) expect(l1.entries).toEqual([]);
  });

  it("invalidateTags: a versioned set that read the tag sequence before the invalidation stays dead; a newer set after it lives", async () => {
    const a = await suite.make();
    const b = await suite.make();
    const users = a.namespace<Row>("user");
    await users.set(1, { row: "v1" }, { version: 1, tags: ["t"] });
    await b.invalidateTags(["t"]);
    await waitUntil(async () => (await users.inspect({ tier: "l1" })).entries.length === 0, 1_000, "L1 drop");
    expect(await users.get(1)).toBeUndefined();
    expect(await b.namespace<Row>("user").get(1)).toBeUndefined();
    // The version fence survives the tag: an older set is still refused.
    expect((await b.namespace<Row>("user").set(1, { row: "v0" }, { version: 0, tags: ["t"] })).outcome).toBe("refused");
    expect((await b.namespace<Row>("user").set(1, { row: "v2" }, { version: 2, tags: ["t"] })).outcome).toBe("stored");
    expect(await users.get(1)).toEqual({ row: "v2" });
  });

  it("a refused set drops this process's L1 copy, so the next read takes the winner from L2", async () => {
    const a = await suite.make();
    const b = await suite.make();
    const ua = a.namespace<Row>("user");
    await ua.set(1, { row: "v1" }, { version: 1 });
    expect(await ua.get(1)).toEqual({ row: "v1" });
    await b.namespace<Row>("user").set(1, { row: "v3" }, { version: 3 });
    await waitUntil(async () => (await ua.inspect({ tier: "l1" })).entries.length === 0, 1_000, "bus drop");
    expect((await ua.set(1, { row: "v2" }, { version: 2 })).outcome).toBe("refused");
    expect(await ua.get(1)).toEqual({ row: "v3" });
  });

  it("a versioned set voids the lease of a load under way: its older row never fills", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Row>("user");
    let release: () => void = () => {};
    const loading = users.getOrSet(1, async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { row: "old row" };
    });
    await waitUntil(() => cache.stats().inFlight === 1, 1_000, "load started");
    expect((await users.set(1, { row: "v9" }, { version: 9 })).outcome).toBe("stored");
    release();
    await loading;
    expect(await users.get(1)).toEqual({ row: "v9" });
  });

  it("afterWrite follows writePolicy: invalidate deletes, write-through stores and falls back to a delete when refused", async () => {
    const cache = await suite.make();
    const invalidating = cache.namespace<Row>("inv");
    const writing = cache.namespace<Row>("wt", { writePolicy: "write-through" });
    await invalidating.set(1, { row: "v1" }, { version: 1 });
    expect(await invalidating.afterWrite(1, { row: "v2" }, { version: 2 })).toEqual({ outcome: "invalidated", reason: "policy" });
    expect(await invalidating.get(1)).toBeUndefined();
    expect(await writing.afterWrite(1, { row: "v2" }, { version: 2 })).toEqual({ outcome: "stored" });
    expect(await writing.get(1)).toEqual({ row: "v2" });
    expect(await writing.afterWrite(1, { row: "v1" }, { version: 1 })).toEqual({ outcome: "invalidated", reason: "refused" });
    expect(await writing.get(1)).toBeUndefined();
    expect(writing.writePolicy).toBe("write-through");
  });

  it("bad versions and write policies fail at the call or the namespace, naming the option", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Row>("user");
    await expect(users.set(1, { row: "x" }, { version: -1 })).rejects.toThrow(/"version"/);
    await expect(users.set(1, { row: "x" }, { version: 1.5 })).rejects.toThrow(/"version"/);
    await expect(users.delete(1, { version: Number.NaN })).rejects.toThrow(/"version"/);
    expect(() => cache.namespace("other", { writePolicy: "write-back" as never })).toThrow(/"writePolicy"/);
    expect(() => cache.namespace("other2", { versionFenceTtlMs: 0 })).toThrow(/"versionFenceTtlMs"/);
  });

  it("hunt: random interleavings of versioned sets and deletes from 3 caches end on the highest version everywhere", async () => {
    const seed = Number(process.env.HUNT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`write-through hunt seed ${seed} (replay: HUNT_SEED=${seed} npx vitest run --project cache test/write-through.test.ts)`);
    const random = seededRandom(seed);
    const caches = await Promise.all([suite.make(), suite.make(), suite.make()]);
    const views = caches.map((cache) => cache.namespace<Row>("user"));
    for (let round = 0; round < 20; round++) {
      const id = round;
      const versions = Array.from({ length: 12 }, (_, i) => i + 1);
      for (let i = versions.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [versions[i], versions[j]] = [versions[j] as number, versions[i] as number];
      }
      const deleteAt = random() < 0.3 ? Math.ceil(random() * 12) : undefined;
      await Promise.all(
        versions.map(async (version, i) => {
          const view = views[i % 3] as (typeof views)[number];
          // Spread over a few event-loop turns so scripts interleave with reads.
          if (random() < 0.5) await new Promise((resolve) => setImmediate(resolve));
          await view.get(id);
          if (version === deleteAt) await view.delete(id, { version });
          else await view.set(id, { row: `v${version}` }, { version });
        }),
      );
      const highest = deleteAt === 12 ? undefined : { row: "v12" };
      for (const view of views)
        await waitUntil(
          async () => JSON.stringify(await view.get(id)) === JSON.stringify(highest),
          2_000,
          `seed ${seed} round ${round}: every cache on ${JSON.stringify(highest)}`,
        );
      expect(await suite.redis.get(`${suite.prefix}:user:fence:v1:{${id}}`), `seed ${seed} round ${round}`).toBe("12");
    }
    expect(cacheInternals(caches[0] as (typeof caches)[number]).pending.size).toBe(0);
  });
});

describe("versioned set across processes", () => {
  const suite = workerSuite("wthruproc");

  it("B and C hold v1 in L1; A sets v3, then a late v2 from B is refused: every process ends on v3", async () => {
    const [a, b, c] = (await suite.start(3)) as [CacheWorker, CacheWorker, CacheWorker];
    await suite.redis.set(`${suite.prefix}:db:k`, "v1");
    for (const worker of [a, b, c]) expect(((await worker.call("read", { key: "k" })) as Row).row).toBe("v1");
    expect(await a.call("setVersioned", { key: "k", row: "v3", version: 3 })).toMatchObject({ outcome: "stored" });
    expect(await b.call("setVersioned", { key: "k", row: "v2", version: 2 })).toMatchObject({ outcome: "refused", currentVersion: 3 });
    for (const worker of [a, b, c])
      await waitUntil(async () => ((await worker.call("read", { key: "k" })) as Row).row === "v3", 2_000, "every process on v3");
  });
});
