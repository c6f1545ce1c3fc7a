import { describe, expect, it } from "vitest";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";

/** A loader that takes `ms` and returns `value()` as of its start. */
function slow<V>(ms: number, value: () => V) {
  const loader = async () => {
    loader.calls++;
    const seen = value();
    await new Promise((resolve) => setTimeout(resolve, ms));
    return seen;
  };
  loader.calls = 0;
  return loader;
}

describe("expire (stale-while-revalidate on demand)", () => {
  const suite = cacheSuite("expire");

  it("expire(id): the next read returns the stale value at once and refreshes it in the background", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item");
    let row = "v1";
    const loader = slow(1_000, () => row);
    expect(await items.getOrSet("k", loader)).toBe("v1");
    row = "v2";
    expect(await items.expire("k")).toBe(true);
    const started = performance.now();
    const first = await items.getOrSetDetailed("k", loader);
    expect(performance.now() - started).toBeLessThan(500); // not the 1 s load (half of it is room for a busy machine)
    expect(first).toMatchObject({ value: "v1", source: "stale" });
    expect((await items.getOrSetDetailed("k", loader)).value).toBe("v1"); // still stale, no second load
    await waitUntil(async () => (await items.get("k")) === "v2", 3_000, "the background refresh");
    expect(loader.calls).toBe(2);
    expect(cache.stats().totals.staleServed).toBe(2);
  });

  it("expireTags: every entry carrying the tag, in every instance, turns stale-while-revalidate; one load in the cluster", async () => {
    const a = await suite.make();
    const b = await suite.make();
    let row = "v1";
    const loader = slow(150, () => row);
    expect(await a.namespace<string>("item").getOrSet("k", loader, { tags: ["t"] })).toBe("v1");
    expect(await b.namespace<string>("item").getOrSet("k", loader, { tags: ["t"] })).toBe("v1");
    row = "v2";
    await a.expireTags(["t"]);
    await waitUntil(async () => (await b.namespace<string>("item").inspect({ tier: "l1" })).entries.length === 0, 1_000, "B's L1 drop");
    const answers = await Promise.all(
      [a, b, a, b].map((cache) => cache.namespace<string>("item").getOrSetDetailed("k", loader, { tags: ["t"] })),
    );
    expect(answers.map((answer) => answer.value)).toEqual(["v1", "v1", "v1", "v1"]);
    await waitUntil(
      async () => (await a.namespace<string>("item").get("k")) === "v2" && (await b.namespace<string>("item").get("k")) === "v2",
      3_000,
      "the refresh",
    );
    expect(loader.calls).toBe(2); // the first load and one refresh for both instances
  });

  it("expire voids a load in flight (it began before): its fill does not land", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item");
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loading = items.getOrSet("k", async () => {
      await gate;
      return "old";
    });
    await waitUntil(async () => (await suite.redis.exists(`${suite.prefix}:item:v1:{k}:lease`)) === 1, 1_000, "the lease");
    await items.expire("k");
    release();
    expect(await loading).toBe("old");
    expect(await items.peek("k")).toMatchObject({ l1: null, l2: null });
    expect(cache.stats().totals.fillsRefused).toBe(1);
  });

  it("an absent marker has no grace: expire deletes it", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item");
    expect(await items.getOrSet("gone", () => null)).toBeNull();
    await items.expire("gone");
    expect((await items.peek("gone")).l2).toBeNull();
  });
});
