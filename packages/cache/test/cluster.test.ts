import type { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { KeySpace } from "../src/encoding/keys.js";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { ON_CLUSTER } from "./support/redis.js";

/** Every key of one node that matches `pattern`, through the whole SCAN cursor. */
async function scanAll(node: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, page] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    keys.push(...page);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

// Runs in the `cache-cluster` project only: what a Redis Cluster changes.
describe.skipIf(!ON_CLUSTER)("on a Redis Cluster", () => {
  const suite = cacheSuite("cluster");
  const masters = () => (suite.redis as unknown as Cluster).nodes("master");

  it("keeps an id's value, lease and lock in one slot, and spreads ids over every master", async () => {
    const keys = new KeySpace(suite.prefix, "user", 1);
    for (const id of [1, "a:b", "{x}"]) {
      const value = keys.valueKey(id);
      const slots = await Promise.all([value, `${value}:lease`, `${value}:lock`].map((key) => suite.redis.cluster("KEYSLOT", key)));
      expect(new Set(slots).size).toBe(1);
    }
    const cache = await suite.make();
    const users = cache.namespace<{ id: number }>("user");
    for (let id = 0; id < 60; id++) await users.getOrSet(id, async () => ({ id }));
    const perMaster = await Promise.all(masters().map((node) => node.dbsize()));
    expect(perMaster).toHaveLength(3);
    for (const count of perMaster) expect(count).toBeGreaterThan(0);
  });

  it("clear() removes the namespace from every master and from the L1 of other processes", async () => {
    const writer = await suite.make();
    const reader = await suite.make();
    const users = writer.namespace<{ id: number }>("user");
    const readerUsers = reader.namespace<{ id: number }>("user");
    const others = writer.namespace<{ id: number }>("other");
    for (let id = 0; id < 60; id++) await users.getOrSet(id, async () => ({ id }));
    // Each fill's bus message drops the key from other L1s: read once they have all arrived.
    await waitUntil(() => (reader.stats().bus?.received ?? 0) >= 60, 2_000, "the reader to hear the 60 fills");
    for (let id = 0; id < 60; id++) await readerUsers.getOrSet(id, async () => ({ id: -1 }));
    await others.set(1, { id: 1 });
    expect(reader.stats().l1.entries).toBe(60);
    // Whole scans: other suites share the cluster, so one SCAN step may match nothing on a master.
    const before = await Promise.all(masters().map((node) => scanAll(node, `${suite.prefix}:user:*`)));
    expect(before.every((keys) => keys.length > 0)).toBe(true);

    expect(await users.clear()).toBeGreaterThanOrEqual(60);
    for (const node of masters()) {
      // Values, leases and locks of every version (the clear generation's copies stay until their TTL).
      expect(await scanAll(node, `${suite.prefix}:user:v*`)).toEqual([]);
    }
    expect(await others.get(1)).toEqual({ id: 1 });
    const loader = async () => ({ id: 99 });
    await waitUntil(async () => (await readerUsers.getOrSet(5, loader))?.id === 99, 2_000, "the reader to drop its L1 copy");
  });

  it("the bus carries invalidations between processes on a cluster", async () => {
    const a = await suite.make();
    const b = await suite.make();
    await a.namespace<string>("item").set("k", "one");
    expect(await b.namespace<string>("item").getOrSet("k", async () => "loaded")).toBe("one");
    await a.namespace<string>("item").set("k", "two");
    await waitUntil(() => (b.stats().bus?.received ?? 0) > 0, 2_000, "b to hear a's write");
    expect(await b.namespace<string>("item").getOrSet("k", async () => "loaded")).toBe("two");
  });
});
