import { describe, expect, it, vi } from "vitest";
import { cacheInternals } from "../src/cache.js";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { countCommands, ON_CLUSTER } from "./support/redis.js";

interface Profile {
  id: number;
  name: string;
}

describe("getOrSetMany", () => {
  const suite = cacheSuite("batch");

  it("reads all keys in one round trip and calls the batch loader once, for the misses only", async () => {
    const warm = await suite.make();
    const warmNs = warm.namespace<Profile>("user");
    await warmNs.set(2, { id: 2, name: "two" });
    await warmNs.set(4, { id: 4, name: "four" });

    const cache = await suite.make();
    const users = cache.namespace<Profile>("user");
    const commands = countCommands(cacheInternals(cache).redis as never);
    const batchLoader = vi.fn(
      async (ids: (string | number)[]) => new Map(ids.map((id) => [id, Number(id) === 5 ? null : { id: Number(id), name: `db${id}` }])),
    );
    const values = await users.getOrSetMany([1, 2, 3, 4, 5], batchLoader);
    expect(values).toEqual([{ id: 1, name: "db1" }, { id: 2, name: "two" }, { id: 3, name: "db3" }, { id: 4, name: "four" }, null]);
    expect(batchLoader).toHaveBeenCalledTimes(1);
    expect(batchLoader).toHaveBeenCalledWith([1, 3, 5]);
    if (ON_CLUSTER) {
      // Keys of different slots cannot share an MGET: one GET per key, auto-pipelined per node.
      expect(commands.counts.get("mget") ?? 0).toBe(0);
      expect(commands.counts.get("get")).toBe(5);
    } else {
      expect(commands.counts.get("mget")).toBe(1);
      expect(commands.counts.get("get") ?? 0).toBe(0);
    }

    // Now everything is in L1: no Redis command, no loader call.
    commands.reset();
    expect(await users.getOrSetMany([1, 2, 3, 4, 5], batchLoader)).toEqual(values);
    expect(commands.total()).toBe(0);
    expect(batchLoader).toHaveBeenCalledTimes(1);
  });

  it("accepts an array aligned with the ids, and concurrent getOrSet calls join the batch", async () => {
    const cache = await suite.make();
    const users = cache.namespace<Profile>("user");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batchLoader = vi.fn(async (ids: (string | number)[]) => {
      await gate;
      return ids.map((id) => ({ id: Number(id), name: `db${id}` }));
    });
    const single = vi.fn(async () => ({ id: 7, name: "single" }));
    const many = users.getOrSetMany([6, 7], batchLoader);
    // Both ids' loads are registered as flights once their leases are taken (slower on a cluster).
    await waitUntil(() => cache.stats().inFlight === 2, 5_000, "the batch's flights");
    const joined = users.getOrSet(7, single);
    release();
    expect(await many).toEqual([
      { id: 6, name: "db6" },
      { id: 7, name: "db7" },
    ]);
    expect(await joined).toEqual({ id: 7, name: "db7" });
    expect(single).not.toHaveBeenCalled();
  });
});
