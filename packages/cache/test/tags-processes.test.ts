import { describe, expect, it } from "vitest";
import { waitUntil } from "./support/clock.js";
import { type CacheWorker, workerSuite } from "./support/worker.js";

type Read = { row: string | null; source: string; loads: number };

/** Tags and expire across real processes: each worker is one instance with its own L1 and bus connection. */
describe("tags and expire across processes", () => {
  const suite = workerSuite("tagproc");
  const { redis, prefix } = suite;

  it("invalidateTags in A drops the tagged entries of every namespace from B's and C's L1; they read the new rows", async () => {
    const [a, b, c] = (await suite.start(3)) as [CacheWorker, CacheWorker, CacheWorker];
    await redis.set(`${prefix}:db:u1`, "v1");
    for (const worker of [a, b, c]) {
      await worker.call<Read>("readTagged", { key: "u1", tags: ["users"] });
      await worker.call<Read>("readTagged", { key: "u1", tags: ["users"], ns: "page" });
    }
    for (const worker of [b, c]) expect(await worker.call<string[]>("l1KeysOf", { ns: "page" })).toContain("u1");
    await redis.set(`${prefix}:db:u1`, "v2");
    expect(await a.call("invalidateTags", { tags: ["users"] })).toBe(true);
    for (const worker of [b, c]) {
      await waitUntil(async () => (await worker.call<string[]>("l1KeysOf", { ns: "page" })).length === 0, 1_000, "page drop");
      expect(await worker.call<string[]>("l1KeysOf", { ns: "item" })).toEqual([]);
      expect((await worker.call<Read>("readTagged", { key: "u1", tags: ["users"] })).row).toBe("v2");
      expect((await worker.call<Read>("readTagged", { key: "u1", tags: ["users"], ns: "page" })).row).toBe("v2");
    }
  });

  it("a load in flight in A when B invalidates its tag never fills: nobody serves the old row afterwards", async () => {
    const [a, b, c] = (await suite.start(3)) as [CacheWorker, CacheWorker, CacheWorker];
    await redis.set(`${prefix}:db:k`, "old");
    const readOld = a.next((event) => event.event === "loader-read" && event.gate === "g");
    await a.call("startGatedTagged", { key: "k", gate: "g", tags: ["t"] });
    expect((await readOld).row).toBe("old");
    await b.call("writeRow", { key: "k", row: "new" }); // the database first, then the tag
    await b.call("invalidateTags", { tags: ["t"] });
    await a.call("release", { gate: "g" });
    expect((await a.call<{ row: string }>("result", { gate: "g" })).row).toBe("old"); // its own caller: what it read
    for (const worker of [a, b, c]) expect((await worker.call<Read>("readTagged", { key: "k", tags: ["t"] })).row).toBe("new");
    const stats = await a.call<{ totals: { fillsRefused: number } }>("stats");
    expect(stats.totals.fillsRefused).toBe(1);
  });

  it("expire in A: B and C (holding it in L1) serve the stale row at once; one refresh in the cluster; then the new row", async () => {
    const [a, b, c] = (await suite.start(3)) as [CacheWorker, CacheWorker, CacheWorker];
    await redis.set(`${prefix}:db:e1`, "v1");
    // A 1.5 s load, so that "nobody waited for it" has room on a busy machine.
    for (const worker of [a, b, c]) await worker.call<Read>("readTagged", { key: "e1", tags: [], loaderMs: 1_500 });
    await redis.set(`${prefix}:db:e1`, "v2");
    await a.call("expire", { key: "e1" });
    for (const worker of [b, c]) await waitUntil(async () => (await worker.call<string[]>("l1Keys")).length === 0, 1_000, "L1 drop");
    const started = performance.now();
    const reads = await Promise.all(
      [b, c, b, c].map((worker) => worker.call<Read>("readTagged", { key: "e1", tags: [], loaderMs: 1_500 })),
    );
    expect(performance.now() - started).toBeLessThan(750); // nobody waited for the 1.5 s load
    expect(reads.map((read) => read.row)).toEqual(["v1", "v1", "v1", "v1"]);
    // Two concurrent reads in one process share one flight ("coalesced"); none waited for a load.
    for (const read of reads) expect(["stale", "coalesced"]).toContain(read.source);
    await waitUntil(
      async () =>
        (await Promise.all([a, b, c].map((w) => w.call<Read>("readTagged", { key: "e1", tags: [] })))).every((r) => r.row === "v2"),
      5_000,
      "every instance on v2",
    );
    const loads = await Promise.all([a, b, c].map((worker) => worker.call<{ loads: number }>("stats")));
    // The first load (B and C then hit L2), then one refresh in the cluster.
    expect(
      loads.map((each) => each.loads).reduce((sum, each) => sum + each, 0),
      JSON.stringify(loads.map((each) => each.loads)),
    ).toBe(2);
  });

  it("expireTags in A reaches B: stale at once, refreshed once", async () => {
    const [a, b] = (await suite.start(2)) as [CacheWorker, CacheWorker];
    await redis.set(`${prefix}:db:e2`, "v1");
    await b.call<Read>("readTagged", { key: "e2", tags: ["t"] });
    await redis.set(`${prefix}:db:e2`, "v2");
    await a.call("expireTags", { tags: ["t"] });
    await waitUntil(async () => (await b.call<string[]>("l1Keys")).length === 0, 1_000, "L1 drop");
    expect(await b.call<Read>("readTagged", { key: "e2", tags: ["t"], loaderMs: 200 })).toMatchObject({ row: "v1", source: "stale" });
    await waitUntil(async () => (await b.call<Read>("readTagged", { key: "e2", tags: ["t"] })).row === "v2", 3_000, "refresh");
    expect((await a.call<Read>("readTagged", { key: "e2", tags: ["t"] })).row).toBe("v2");
  });
});
