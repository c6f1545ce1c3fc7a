import { describe, expect, it, vi } from "vitest";
import { BatchLoadError, LoaderError, LoaderTimeoutError } from "../src/errors.js";
import { cacheSuite } from "./support/cache.js";
import { ManualClock } from "./support/clock.js";

interface Row {
  v: string;
}

const failing = async (): Promise<Row[]> => Promise.reject(new Error("db down"));

/** getOrSetMany keeps the fail-safe rules of getOrSet: grace, the stale copy on failure, the throttle. */
describe("getOrSetMany fail-safe", () => {
  const suite = cacheSuite("batch-failsafe");
  const policy = { jitter: 0, earlyRefreshBeta: 0, ttlMs: 1_000, graceMs: 60_000 };

  async function withStaleCopies(clock: ManualClock, ids: number[]) {
    const cache = await suite.make({ clock, defaults: policy });
    const reasons: string[] = [];
    cache.on("staleServed", (event) => reasons.push(event.reason));
    const ns = cache.namespace<Row>("row");
    await ns.getOrSetMany(ids, (asked) => asked.map((id) => ({ v: `old ${id}` })));
    clock.advance(1_001); // past TTL, within grace
    return { cache, ns, reasons };
  }

  it("serves every id's stale copy when the batch loader throws, and flags each", async () => {
    const clock = new ManualClock();
    const { cache, ns, reasons } = await withStaleCopies(clock, [1, 2, 3]);
    expect(await ns.getOrSetMany([1, 2, 3], failing)).toEqual([{ v: "old 1" }, { v: "old 2" }, { v: "old 3" }]);
    expect(reasons).toEqual(["loader-error", "loader-error", "loader-error"]);
    expect(cache.stats().totals.staleServed).toBe(3);
  });

  it("ids without a stale copy fail with a BatchLoadError naming them; it carries the others' values and the cause", async () => {
    const clock = new ManualClock();
    const { ns } = await withStaleCopies(clock, [1, 2]);
    const error = (await ns.getOrSetMany([1, 7, 2, 8], failing).catch((caught) => caught)) as BatchLoadError;
    expect(error).toBeInstanceOf(BatchLoadError);
    expect(error).toBeInstanceOf(LoaderError);
    expect(error.code).toBe("E_LOADER");
    expect(error.failedIds).toEqual([7, 8]);
    expect(error.results).toEqual([{ v: "old 1" }, undefined, { v: "old 2" }, undefined]);
    expect(error.cause).toBeInstanceOf(LoaderError);
    expect(((error.cause as LoaderError).cause as Error).message).toBe("db down");
    expect(error.message).toMatch(/7/);
  });

  it("throttle: after a failure the stale ids are not asked again for failSafeThrottleMs; the others are", async () => {
    const clock = new ManualClock();
    const { ns, reasons } = await withStaleCopies(clock, [1, 2]);
    const batchLoader = vi.fn(failing);
    const options = { failSafeThrottleMs: 5_000 };
    for (let call = 0; call < 5; call++)
      expect(await ns.getOrSetMany([1, 2], batchLoader, options)).toEqual([{ v: "old 1" }, { v: "old 2" }]);
    expect(batchLoader).toHaveBeenCalledTimes(1);
    expect(reasons.filter((reason) => reason === "throttled")).toHaveLength(8);
    // A fresh id next to throttled ones: only it reaches the loader.
    const working = vi.fn(async (ids: (string | number)[]) => ids.map((id) => ({ v: `new ${id}` })));
    expect(await ns.getOrSetMany([1, 3, 2], working, options)).toEqual([{ v: "old 1" }, { v: "new 3" }, { v: "old 2" }]);
    expect(working).toHaveBeenCalledWith([3]);
    // Past the throttle: one call probes, a working loader ends it.
    clock.advance(5_001);
    expect(await ns.getOrSetMany([1, 2], working, options)).toEqual([{ v: "new 1" }, { v: "new 2" }]);
    expect(working).toHaveBeenCalledTimes(2);
  });

  it("a batch loader past its hard timeout: stale copies served (reason hard-timeout), the rest fail with the timeout as cause", async () => {
    const clock = new ManualClock();
    const { ns, reasons } = await withStaleCopies(clock, [1]);
    const slow = () => new Promise<Row[]>(() => {});
    const error = (await ns.getOrSetMany([1, 9], slow, { hardTimeoutMs: 50 }).catch((caught) => caught)) as BatchLoadError;
    expect(error).toBeInstanceOf(BatchLoadError);
    expect(error.cause).toBeInstanceOf(LoaderTimeoutError);
    expect(error.results).toEqual([{ v: "old 1" }, undefined]);
    expect(reasons).toEqual(["hard-timeout"]);
  });

  it("a stale copy kept only in L2 (another instance's fill) is served when this instance's batch loader fails", async () => {
    const clock = new ManualClock();
    await withStaleCopies(clock, [4, 5]);
    const other = await suite.make({ clock, defaults: policy });
    const reasons: string[] = [];
    other.on("staleServed", (event) => reasons.push(event.reason));
    expect(await other.namespace<Row>("row").getOrSetMany([4, 5], failing)).toEqual([{ v: "old 4" }, { v: "old 5" }]);
    expect(reasons).toEqual(["loader-error", "loader-error"]);
  });

  it("past grace nothing stale is kept: the batch fails for every id", async () => {
    const clock = new ManualClock();
    const { ns } = await withStaleCopies(clock, [1]);
    clock.advance(60_000);
    const error = (await ns.getOrSetMany([1], failing).catch((caught) => caught)) as BatchLoadError;
    expect(error).toBeInstanceOf(BatchLoadError);
    expect(error.failedIds).toEqual([1]);
  });
});
