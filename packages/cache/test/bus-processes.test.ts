import type { Cluster } from "ioredis";
import { describe, expect, it } from "vitest";
import { waitUntil } from "./support/clock.js";
import { type CacheWorker, workerSuite } from "./support/worker.js";

describe("invalidation bus across processes", () => {
  const suite = workerSuite("bus");
  const { redis, prefix } = suite;

  it("an invalidation in A evicts the key from the L1 of B and C", async () => {
    const workers = await suite.start(3);
    const [a, b, c] = workers as [CacheWorker, CacheWorker, CacheWorker];
    await redis.set(`${prefix}:db:k`, "v1");
    for (const worker of [a, b, c]) expect((await worker.call<{ row: string }>("read", { key: "k" })).row).toBe("v1");
    for (const worker of [b, c]) expect(await worker.call<string[]>("l1Keys")).toContain("k");

    await a.call("set", { key: "k", row: "v2" });
    for (const worker of [b, c]) {
      await waitUntil(async () => !(await worker.call<string[]>("l1Keys")).includes("k"), 1_000, "eviction from L1");
      expect((await worker.call<{ row: string }>("read", { key: "k" })).row).toBe("v2");
    }
    const health = await b.call<{ bus: { connected: boolean; received: number; lastMessageAt: number } }>("stats");
    expect(health.bus.connected).toBe(true);
    expect(health.bus.received).toBeGreaterThan(0);
    expect(health.bus.lastMessageAt).toBeGreaterThan(0);
  });

  it("killing B's subscriber connection (CLIENT KILL) makes B clear its L1", async () => {
    const workers = await suite.start(2);
    const [a, b] = workers as [CacheWorker, CacheWorker];
    await redis.set(`${prefix}:db:x`, "1");
    await redis.set(`${prefix}:db:y`, "1");
    await b.call("read", { key: "x" });
    await b.call("read", { key: "y" });
    expect((await b.call<string[]>("l1Keys")).sort()).toEqual(["x", "y"]);

    const name = await b.call<string>("busClientName");
    // On a cluster the bus connection is on one of the masters: look on each.
    const nodes = redis.isCluster ? (redis as unknown as Cluster).nodes("master") : [redis];
    let killed = 0;
    for (const node of nodes) {
      const line = ((await node.client("LIST")) as string).split("\n").find((entry) => entry.includes(` name=${name} `));
      const clientId = line ? /id=(\d+)/.exec(line)?.[1] : undefined;
      if (clientId) killed += Number(await node.client("KILL", "ID", clientId));
    }
    expect(killed).toBe(1);

    await waitUntil(async () => (await b.call<string[]>("l1Keys")).length === 0, 2_000, "L1 flush after CLIENT KILL");
    await waitUntil(async () => (await b.call<{ bus: { connected: boolean } }>("stats")).bus.connected, 5_000, "bus reconnect");
    const stats = await b.call<{ bus: { flushes: number } }>("stats");
    expect(stats.bus.flushes).toBeGreaterThanOrEqual(1);

    // After the reconnect the bus works again: A's invalidation reaches B.
    await b.call("read", { key: "x" });
    await a.call("set", { key: "x", row: "2" });
    await waitUntil(async () => !(await b.call<string[]>("l1Keys")).includes("x"), 1_000, "eviction after reconnect");
  });
});
