import { describe, expect, it } from "vitest";
import { cacheSuite } from "./support/cache.js";

describe("inspect", () => {
  const suite = cacheSuite("inspect");

  it("pages through every L2 entry of a namespace, however its keys fall in SCAN steps (every master of a cluster)", async () => {
    const cache = await suite.make();
    const users = cache.namespace<number>("user");
    const other = cache.namespace<number>("other");
    // Many keys of another namespace, so SCAN steps often match none of ours.
    for (let id = 0; id < 600; id++) await other.set(id, id);
    for (let id = 0; id < 25; id++) await users.set(id, id);
    await users.set(99, null);
    const seen = new Map<string, boolean>();
    let cursor = "0";
    let pages = 0;
    do {
      const page = await users.inspect({ tier: "l2", limit: 10, cursor });
      for (const entry of page.entries) seen.set(entry.id, entry.negative);
      cursor = page.cursor;
      pages++;
    } while (cursor !== "0" && pages < 50);
    expect(seen.size).toBe(26);
    expect(pages).toBeLessThan(10);
    const first = await users.inspect({ tier: "l2", limit: 10 });
    expect(first.entries.length).toBeGreaterThanOrEqual(10);
    expect(seen.get("99")).toBe(true); // the absent marker
    expect(seen.get("7")).toBe(false);
  });

  it("lists this process's L1 entries", async () => {
    const cache = await suite.make();
    const users = cache.namespace<number>("user");
    for (let id = 0; id < 5; id++) await users.getOrSet(id, async () => id);
    const page = await users.inspect({ tier: "l1", limit: 100 });
    expect(page.entries.map((entry) => entry.id).sort()).toEqual(["0", "1", "2", "3", "4"]);
    expect(page.entries.every((entry) => entry.freshForMs > 0 && entry.size > 33)).toBe(true);
  });
});
