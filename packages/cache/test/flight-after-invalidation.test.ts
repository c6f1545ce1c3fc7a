import { describe, expect, it } from "vitest";
import type { LoaderContext } from "../src/index.js";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { type CacheWorker, workerSuite } from "./support/worker.js";

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * Read-your-writes through single flight: a read that begins after this
 * process invalidated a key must not join a load that began before it (that
 * load may return the value the write replaced). The nemesis found an
 * instance answering v1 right after acknowledging v2 (seed 2, and seed
 * 198240599 on the cluster): while Redis was slow the old read's flight
 * lasted long enough for the writer's next read to join it.
 */
describe("a read after an invalidation, while a load from before it is in flight", () => {
  const suite = cacheSuite("flight-after-inv");

  for (const how of ["delete", "set", "clear"] as const)
    it(`after ${how}: does not join the older flight`, async () => {
      const cache = await suite.make({ defaults: { jitter: 0, ttlMs: 60_000 } });
      const ns = cache.namespace<string>("n");
      let row = "v1";
      const slow = gate();
      let calls = 0;
      const loader = async () => {
        const read = row; // the database read happens first; the answer travels back slowly
        calls++;
        if (calls === 1) await slow.opened;
        return read;
      };
      const before = ns.getOrSet("k", loader);
      await expect.poll(() => calls).toBe(1);
      // The write: the row changes, then the key is invalidated (acknowledged before the next read).
      row = "v2";
      if (how === "delete") await ns.delete("k");
      if (how === "set") await ns.set("k", "v2");
      if (how === "clear") await ns.clear();
      const after = ns.getOrSet("k", loader);
      slow.open();
      expect(await before).toBe("v1");
      expect(await after).toBe("v2");
      // And the older load did not leave v1 behind.
      expect(await ns.getOrSet("k", loader)).toBe("v2");
    });

  it("a read that begins before the invalidation still joins (one load for concurrent readers)", async () => {
    const cache = await suite.make({ defaults: { jitter: 0, ttlMs: 60_000 } });
    const ns = cache.namespace<string>("n");
    const slow = gate();
    let calls = 0;
    const loader = async () => {
      calls++;
      await slow.opened;
      return "v1";
    };
    const first = ns.getOrSet("k", loader);
    const second = ns.getOrSet("k", loader);
    slow.open();
    expect([await first, await second]).toEqual(["v1", "v1"]);
    expect(calls).toBe(1);
  });
});

/**
 * The same guarantee for tags: a read that begins after `invalidateTags` (made here, or heard on the
 * bus) must not join a load begun before it whose entry carries one of those tags, whether the load
 * knew its tags from the call or learns them later from `ctx.setTags`; and that load's fill must not land.
 */
describe("a read after invalidateTags, while a load from before it is in flight", () => {
  const suite = cacheSuite("flight-after-tinv");

  /** A loader that reads the row, then waits for `slow` on its first call; `late` tags are set after the wait. */
  function rows(slow: { opened: Promise<void> }, late?: string[]) {
    const state = { row: "v1", calls: 0 };
    const loader = async (ctx: LoaderContext<string | number, string>) => {
      const read = state.row;
      state.calls++;
      if (state.calls === 1) await slow.opened;
      if (late) ctx.setTags(late);
      return read;
    };
    return { state, loader };
  }

  for (const how of ["call tags", "ctx.setTags after the invalidation", "ctx.setTags before the invalidation"] as const)
    it(`tagged by ${how}: the read after does not get the older load's value, and that value does not land`, async () => {
      const cache = await suite.make({ defaults: { jitter: 0, ttlMs: 60_000 } });
      const ns = cache.namespace<string>("n");
      const slow = gate();
      const tagsSet = gate();
      const late = how === "call tags" ? undefined : ["t"];
      const { state, loader } = rows(slow, late);
      const options = how === "call tags" ? { tags: ["t"] } : undefined;
      const first =
        how === "ctx.setTags before the invalidation"
          ? async (ctx: LoaderContext<string | number, string>) => {
              const read = state.row;
              state.calls++;
              ctx.setTags(["t"]);
              tagsSet.open();
              await slow.opened;
              return read;
            }
          : loader;
      const before = ns.getOrSet("k", first, options);
      await expect.poll(() => state.calls).toBe(1);
      if (how === "ctx.setTags before the invalidation") await tagsSet.opened;
      state.row = "v2";
      expect(await cache.invalidateTags(["t"])).toBe(true);
      const after = ns.getOrSet("k", loader, options);
      slow.open();
      expect(await before).toBe("v1"); // its own caller gets what it read
      expect(await after).toBe("v2");
      expect(await ns.getOrSet("k", loader, options)).toBe("v2");
      // Nothing of v1 in either tier: a fresh cache on the same prefix (no L1) reads v2 without loading.
      const other = (await suite.make({ l1: false })).namespace<string>("n");
      expect(await other.getOrSet("k", async () => "not cached")).toBe("v2");
    });

  it("reads refused together when the older load lands share one new load", async () => {
    const cache = await suite.make({ defaults: { jitter: 0, ttlMs: 60_000 } });
    const ns = cache.namespace<string>("n");
    const slow = gate();
    const { state, loader } = rows(slow, ["t"]);
    const before = ns.getOrSet("k", loader);
    await expect.poll(() => state.calls).toBe(1);
    state.row = "v2";
    await cache.invalidateTags(["t"]);
    const after = [1, 2, 3].map(() => ns.getOrSet("k", loader));
    slow.open();
    expect(await before).toBe("v1");
    expect(await Promise.all(after)).toEqual(["v2", "v2", "v2"]);
    expect(state.calls).toBe(2);
  });

  it("a batch load begun before invalidateTags is not joined by a getOrSet after it", async () => {
    const cache = await suite.make({ defaults: { jitter: 0, ttlMs: 60_000 } });
    const ns = cache.namespace<string>("n");
    const slow = gate();
    let row = "v1";
    let batches = 0;
    const before = ns.getOrSetMany(
      ["k"],
      async (ids) => {
        const read = row;
        batches++;
        await slow.opened;
        return ids.map(() => read);
      },
      { tags: ["t"] },
    );
    await expect.poll(() => batches).toBe(1);
    row = "v2";
    await cache.invalidateTags(["t"]);
    const after = ns.getOrSet("k", async () => row, { tags: ["t"] });
    slow.open();
    expect(await before).toEqual(["v1"]);
    expect(await after).toBe("v2");
    expect(await ns.getOrSet("k", async () => "not cached")).toBe("v2");
  });

  it("an invalidation of another tag changes nothing: the read still joins (one load)", async () => {
    const cache = await suite.make({ defaults: { jitter: 0, ttlMs: 60_000 } });
    const ns = cache.namespace<string>("n");
    const slow = gate();
    const { state, loader } = rows(slow);
    const before = ns.getOrSet("k", loader, { tags: ["t"] });
    await expect.poll(() => state.calls).toBe(1);
    await cache.invalidateTags(["other"]);
    const after = ns.getOrSet("k", loader, { tags: ["t"] });
    slow.open();
    expect([await before, await after]).toEqual(["v1", "v1"]);
    expect(state.calls).toBe(1);
  });

  it("a read that joined before the invalidation keeps the shared result (it began first)", async () => {
    const cache = await suite.make({ defaults: { jitter: 0, ttlMs: 60_000 } });
    const ns = cache.namespace<string>("n");
    const slow = gate();
    const { state, loader } = rows(slow, ["t"]);
    const first = ns.getOrSet("k", loader);
    const second = ns.getOrSet("k", loader);
    await expect.poll(() => state.calls).toBe(1);
    state.row = "v2";
    await cache.invalidateTags(["t"]);
    slow.open();
    expect([await first, await second]).toEqual(["v1", "v1"]);
    expect(state.calls).toBe(1);
    // The fill was refused: the next read loads v2.
    expect(await ns.getOrSet("k", loader)).toBe("v2");
  });
});

describe("a read after invalidateTags heard on the bus, while a load from before it is in flight (processes)", () => {
  const suite = workerSuite("flight-tinv-proc");
  const { redis, prefix } = suite;
  type Read = { row: string | null; source: string; loads: number };

  for (const late of [false, true])
    it(`B invalidates the tag (${late ? "set by ctx.setTags after the wait" : "from the call"}): A's next read loads the new row`, async () => {
      const [a, b] = (await suite.start(2)) as [CacheWorker, CacheWorker];
      const key = late ? "late" : "call";
      await redis.set(`${prefix}:db:${key}`, "old");
      await redis.set(`${prefix}:db:probe-${key}`, "p");
      // A probe entry in A's L1 carrying the tag: its drop shows that A heard the invalidation.
      await a.call<Read>("readTagged", { key: `probe-${key}`, tags: ["t"], ns: "probe" });
      const readOld = a.next((event) => event.event === "loader-read" && event.gate === key);
      await a.call(late ? "startGatedLateTags" : "startGatedTagged", { key, gate: key, tags: ["t"] });
      expect((await readOld).row).toBe("old");
      await b.call("writeRow", { key, row: "new" });
      expect(await b.call("invalidateTags", { tags: ["t"] })).toBe(true);
      await waitUntil(async () => !(await a.call<string[]>("l1KeysOf", { ns: "probe" })).includes(`probe-${key}`), 2_000, "A hears");
      const after = a.call<Read>("readTagged", { key, tags: late ? [] : ["t"] });
      // Joined or not, the read must not answer before the gated load is released if it joined: release now.
      await a.call("release", { gate: key });
      const read = await after;
      expect(read.row).toBe("new");
      expect(read.source).not.toBe("coalesced");
      expect((await a.call<{ row: string }>("result", { gate: key })).row).toBe("old");
      for (const worker of [a, b]) expect((await worker.call<Read>("readTagged", { key, tags: [] })).row).toBe("new");
    });
});
