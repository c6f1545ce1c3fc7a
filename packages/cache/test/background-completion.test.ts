import { describe, expect, it } from "vitest";
import { InvalidOptionError, LoaderTimeoutError } from "../src/index.js";
import { cacheSuite } from "./support/cache.js";

interface Row {
  v: string;
}

/** Polls `check` until it holds or `ms` pass. */
async function until(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function gated(): { open(): void; loader: (ctx: { signal: AbortSignal }) => Promise<Row>; aborted: () => boolean } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let signal: AbortSignal | undefined;
  return {
    open,
    aborted: () => signal?.aborted === true,
    loader: async (ctx) => {
      signal = ctx.signal;
      await gate;
      return { v: "late" };
    },
  };
}

describe("backgroundCompletion: loads that outlive their hard timeout", () => {
  const suite = cacheSuite("bgdone");
  const defaults = { jitter: 0, earlyRefreshBeta: 0, hardTimeoutMs: 50 };

  /** Two instances; on the first, a load with backgroundCompletion that has passed its hard timeout and waits for `load.open()`. */
  async function outlivedLoad() {
    const cache = await suite.make({ defaults });
    const other = await suite.make({ defaults });
    const fills: boolean[] = [];
    cache.on("fill", (event) => fills.push(event.accepted));
    const ns = cache.namespace<Row>("r", { backgroundCompletion: true });
    const load = gated();
    await expect(ns.getOrSet(1, load.loader)).rejects.toThrow(LoaderTimeoutError);
    return { cache, other, fills, ns, load };
  }

  it("without it, a timed-out load is aborted and never fills", async () => {
    const cache = await suite.make({ defaults });
    const fills: boolean[] = [];
    cache.on("fill", (event) => fills.push(event.accepted));
    const ns = cache.namespace<Row>("r");
    const load = gated();
    await expect(ns.getOrSet(1, load.loader)).rejects.toThrow(LoaderTimeoutError);
    expect(load.aborted()).toBe(true);
    load.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fills).toEqual([]);
    expect(await ns.get(1)).toBeUndefined();
  });

  it("with it, the caller still gets the timeout at once, and the load fills both tiers when it finishes (seen by another instance)", async () => {
    const cache = await suite.make({ defaults });
    const other = await suite.make({ defaults });
    const ns = cache.namespace<Row>("r", { backgroundCompletion: true });
    const load = gated();
    const started = performance.now();
    await expect(ns.getOrSet(1, load.loader)).rejects.toThrow(LoaderTimeoutError);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(load.aborted()).toBe(false);
    expect(await ns.get(1)).toBeUndefined();
    load.open();
    await until(async () => (await ns.get(1)) !== undefined);
    expect(await ns.get(1)).toEqual({ v: "late" });
    expect(await other.namespace<Row>("r").get(1)).toEqual({ v: "late" });
    expect(cache.stats().totals.fills).toBe(1);
    expect(await suite.redis.exists(`${suite.prefix}:r:v1:{1}`)).toBe(1);
  });

  it("with it and a stale copy, the caller gets the stale copy and the background load replaces it", async () => {
    const cache = await suite.make({ defaults: { ...defaults, ttlMs: 100, graceMs: 60_000 } });
    const ns = cache.namespace<Row>("r", { backgroundCompletion: true });
    await ns.getOrSet(1, async () => ({ v: "old" }));
    await until(async () => (await ns.get(1)) === undefined);
    const load = gated();
    expect(await ns.getOrSet(1, load.loader)).toEqual({ v: "old" });
    load.open();
    await until(async () => (await ns.get(1))?.v === "late");
  });

  it("fenced: a load that began before a delete never lands, in L1 or L2, here or in another instance", async () => {
    const { cache, other, fills, ns, load } = await outlivedLoad();
    await ns.delete(1);
    load.open();
    await until(() => fills.length === 1);
    expect(fills).toEqual([false]);
    expect(await ns.get(1)).toBeUndefined();
    expect(await other.namespace<Row>("r").get(1)).toBeUndefined();
    expect(await suite.redis.exists(`${suite.prefix}:r:v1:{1}`)).toBe(0);
    expect(cache.stats().totals.fillsRefused).toBe(1);
  });

  it("fenced: a delete from another instance while the load runs also keeps it out", async () => {
    const { other, fills, ns, load } = await outlivedLoad();
    await other.namespace<Row>("r").delete(1);
    load.open();
    await until(() => fills.length === 1);
    expect(fills).toEqual([false]);
    expect(await ns.get(1)).toBeUndefined();
  });

  it("fenced: a set() of a newer value while the load runs is not overwritten by it", async () => {
    const { other, fills, ns, load } = await outlivedLoad();
    await other.namespace<Row>("r").set(1, { v: "newer" });
    load.open();
    await until(() => fills.length === 1);
    expect(fills).toEqual([false]);
    expect(await ns.get(1)).toEqual({ v: "newer" });
    expect(await other.namespace<Row>("r").get(1)).toEqual({ v: "newer" });
  });

  it("while the background load runs, callers from another instance wait for it rather than load again", async () => {
    const cache = await suite.make({ defaults });
    const other = await suite.make({ defaults: { ...defaults, hardTimeoutMs: 0 } });
    const ns = cache.namespace<Row>("r", { backgroundCompletion: true });
    const load = gated();
    await expect(ns.getOrSet(1, load.loader)).rejects.toThrow(LoaderTimeoutError);
    let otherLoads = 0;
    const waiting = other.namespace<Row>("r").getOrSet(1, async () => {
      otherLoads++;
      return { v: "second" };
    });
    await until(() => other.stats().totals.lockWaits > 0);
    load.open();
    expect(await waiting).toEqual({ v: "late" });
    expect(otherLoads).toBe(0);
  });

  it("backgroundCompletion is validated", async () => {
    const cache = await suite.make({ defaults });
    expect(() => cache.namespace("bad", { backgroundCompletion: "yes" as unknown as boolean })).toThrow(InvalidOptionError);
    await expect(
      cache.namespace<Row>("r").getOrSet(1, async () => ({ v: "x" }), { backgroundCompletion: 1 as unknown as boolean }),
    ).rejects.toThrow(/backgroundCompletion/);
  });
});
