import { describe, expect, it } from "vitest";
import { type CacheWorker, workerSuite } from "./support/worker.js";

/**
 * The late-fill interleaving, forced across two processes:
 * A misses and reads the old row; B updates the row and invalidates;
 * A's fill must be refused (in L2 and in A's L1); the next read sees the new row.
 */
describe("fenced fills across processes", () => {
  const suite = workerSuite("fence");
  const { redis, prefix } = suite;

  for (const protection of ["distributed", "local", "none"] as const) {
    it(`refuses the stale fill with protection "${protection}"`, async () => {
      const workers = await suite.start(2);
      const [a, b] = workers as [CacheWorker, CacheWorker];
      const key = `row-${protection}`;
      await redis.set(`${prefix}:db:${key}`, "old");

      const readOld = a.next((event) => event.event === "loader-read" && event.gate === key);
      await a.call("startGated", { key, gate: key, protection });
      expect((await readOld).row).toBe("old"); // A has read the old row and is paused

      await b.call("write", { key, row: "new" }); // B: database first, then delete (fenced, published)
      await a.call("release", { gate: key }); // A's late fill now arrives
      const aResult = await a.call<{ row: string }>("result", { gate: key });
      expect(aResult.row).toBe("old"); // A's caller gets what it read; that is fine

      const aStats = await a.call<{ totals: { fillsRefused: number } }>("stats");
      expect(aStats.totals.fillsRefused).toBe(1);
      expect(await a.call<string[]>("l1Keys")).not.toContain(key); // not in A's L1 either
      expect(await redis.exists(`${prefix}:item:v1:{${key}}`)).toBe(0); // nor in L2

      expect((await b.call<{ row: string }>("read", { key, protection })).row).toBe("new");
      expect((await a.call<{ row: string }>("read", { key, protection })).row).toBe("new");
    });
  }
});
