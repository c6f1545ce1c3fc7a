import { describe, expect, it } from "vitest";
import { cacheSuite } from "./support/cache.js";

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
