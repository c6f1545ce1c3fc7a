import { describe, expect, it } from "vitest";
import { cacheInternals } from "../src/cache.js";
import { InvalidOptionError } from "../src/index.js";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { countCommands, ON_CLUSTER } from "./support/redis.js";

/** A loader that counts its calls and returns `value()` at call time. */
function counting<V>(value: () => V) {
  const loader = async () => {
    loader.calls++;
    return value();
  };
  loader.calls = 0;
  return loader;
}

describe("tags", () => {
  const suite = cacheSuite("tags");

  it("invalidateTags drops every entry carrying the tag, in every namespace, from L1 and L2", async () => {
    const cache = await suite.make();
    const users = cache.namespace<string>("user");
    const pages = cache.namespace<string[]>("page");
    let row = "v1";
    const user = counting(() => row);
    const page = counting(() => [row]);
    expect(await users.getOrSet(1, user, { tags: ["users"] })).toBe("v1");
    expect(await pages.getOrSet(0, page, { tags: ["users", "pages"] })).toEqual(["v1"]);
    const untagged = counting(() => row);
    expect(await users.getOrSet(2, untagged)).toBe("v1");
    row = "v2";
    expect(await cache.invalidateTags(["users"])).toBe(true);
    expect(await users.getOrSet(1, user, { tags: ["users"] })).toBe("v2");
    expect(await pages.getOrSet(0, page, { tags: ["users", "pages"] })).toEqual(["v2"]);
    expect(await users.getOrSet(2, untagged)).toBe("v1"); // not tagged: untouched
    expect([user.calls, page.calls, untagged.calls]).toEqual([2, 2, 1]);
  });

  it("the tags reach another cache (another instance): its L1 drops them through the bus, its L2 reads find them dead", async () => {
    const a = await suite.make();
    const b = await suite.make();
    let row = "v1";
    const onA = counting(() => row);
    const onB = counting(() => row);
    expect(await a.namespace<string>("item").getOrSet("k", onA, { tags: ["t"] })).toBe("v1");
    expect(await b.namespace<string>("item").getOrSet("k", onB, { tags: ["t"] })).toBe("v1"); // L2 hit, now in B's L1
    expect(onB.calls).toBe(0);
    row = "v2";
    await a.invalidateTags(["t"]);
    await waitUntil(async () => (await b.namespace<string>("item").inspect({ tier: "l1" })).entries.length === 0, 1_000, "B's L1 drop");
    expect(await b.namespace<string>("item").getOrSet("k", onB, { tags: ["t"] })).toBe("v2");
  });

  it("set(id, value, { tags }) and ctx.setTags tag what they store", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item");
    await items.set("a", "set-value", { tags: ["x"] });
    const tagged = counting(() => "loaded");
    expect(
      await items.getOrSet("b", async (ctx) => {
        ctx.setTags(["y"]);
        return tagged();
      }),
    ).toBe("loaded");
    expect((await items.peek("a")).l2?.tags).toEqual(["x"]);
    expect((await items.peek("b")).l2?.tags).toEqual(["y"]);
    expect((await items.peek("b")).l1?.tags).toEqual(["y"]);
    await cache.invalidateTags(["x", "y"]);
    expect(await items.get("a")).toBeUndefined();
    expect(await items.get("b")).toBeUndefined();
    // A dead L2 entry found by a read is removed.
    expect((await items.peek("a")).l2).toBeNull();
  });

  it("a load in flight when its tag is invalidated does not fill (L1 or L2), though its caller gets what it read", async () => {
    const a = await suite.make();
    const b = await suite.make();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inFlight = a.namespace<string>("item").getOrSet(
      "k",
      async (ctx) => {
        ctx.setTags(["t"]); // tags known only inside the loader
        await gate;
        return "old";
      },
      { protection: "local" },
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await b.invalidateTags(["t"]); // another instance invalidates meanwhile
    release();
    expect(await inFlight).toBe("old");
    expect(a.stats().totals.fillsRefused).toBe(1);
    const fresh = counting(() => "new");
    for (const cache of [a, b]) expect(await cache.namespace<string>("item").getOrSet("k", fresh, { tags: ["t"] })).toBe("new");
    expect(fresh.calls).toBe(1);
  });

  it("a fill that lands after the invalidation anyway (checked before it) is dead for every reader", async () => {
    // The load checks its tags before the fill; an invalidation between that check and the fill lands the bytes,
    // but they record the older sequence number: every read treats them as absent.
    const a = await suite.make();
    const items = a.namespace<string>("item");
    await items.set("k", "old", { tags: ["t"] });
    const raw = await suite.redis.getBuffer(`${suite.prefix}:item:v1:{k}`);
    await a.invalidateTags(["t"]);
    await suite.redis.set(`${suite.prefix}:item:v1:{k}`, raw as Buffer, "PX", 60_000); // the late bytes land
    const b = await suite.make(); // an instance that never heard of the invalidation
    const loader = counting(() => "new");
    expect(await b.namespace<string>("item").getOrSet("k", loader, { tags: ["t"] })).toBe("new");
    expect(await a.namespace<string>("item").getOrSet("k", loader, { tags: ["t"] })).toBe("new");
    expect(loader.calls).toBe(1);
  });

  it("an L2 hit of a tagged entry costs one extra round trip only while its tags are unknown here", async () => {
    const writer = await suite.make();
    await writer.namespace<string>("item").set("k", "v", { tags: ["t"] });
    await writer.namespace<string>("item").set("u", "v");
    const reader = await suite.make({ l1: false });
    const redis = cacheInternals(reader).redis as never;
    const commands = countCommands(redis);
    const items = reader.namespace<string>("item");
    const never = async () => {
      throw new Error("must not load");
    };
    expect(await items.getOrSet("u", never)).toBe("v");
    const untagged = commands.total();
    commands.reset();
    expect(await items.getOrSet("k", never)).toBe("v"); // first: the tag's state is read (one MGET, or one pipelined GET pair on a cluster)
    const first = commands.total();
    commands.reset();
    expect(await items.getOrSet("k", never)).toBe("v");
    const second = commands.total();
    expect(untagged).toBe(1);
    expect(first).toBe(ON_CLUSTER ? 3 : 2);
    expect(second).toBe(1);
  });

  it("without L2 (redis: false) tags are this process's own", async () => {
    const cache = await suite.make({ redis: false });
    let row = "v1";
    const loader = counting(() => row);
    expect(await cache.namespace<string>("item").getOrSet("k", loader, { tags: ["t"] })).toBe("v1");
    row = "v2";
    await cache.invalidateTags(["t"]);
    expect(await cache.namespace<string>("item").getOrSet("k", loader, { tags: ["t"] })).toBe("v2");
  });

  it("bad tags are a typed error naming the call", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item");
    await expect(cache.invalidateTags([""])).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(items.getOrSet("k", () => "v", { tags: ["a\nb"] })).rejects.toThrow(/getOrSet\(\): invalid tag/);
    await expect(items.set("k", "v", { tags: "t" as never })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
