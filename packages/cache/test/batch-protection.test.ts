import type { Redis } from "ioredis";
import { describe, expect, it, vi } from "vitest";
import { cacheInternals } from "../src/cache.js";
import { BatchLoadError, LockTimeoutError } from "../src/errors.js";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";

type Ids = (string | number)[];

/** A batch loader that answers `name id` once `release` is called; records what it was asked. */
function gatedLoader(name: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const asked: Ids[] = [];
  const loader = vi.fn(async (ids: Ids) => {
    asked.push([...ids]);
    await gate;
    return ids.map((id) => `${name} ${id}`);
  });
  return { loader, asked, release };
}

/**
 * Round trips to Redis in sequence: a command sent while none is outstanding starts a new one
 * (commands sent together, as a pipeline or concurrently, share it).
 */
function countRoundTrips(client: Redis): { readonly count: number } {
  let outstanding = 0;
  let count = 0;
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((command: { promise: Promise<unknown> }, ...rest: unknown[]) => {
    if (outstanding === 0) count++;
    outstanding++;
    const settle = () => outstanding--;
    command.promise.then(settle, settle);
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.sendCommand;
  return {
    get count() {
      return count;
    },
  };
}

const page = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, n) => from + n);

/** getOrSetMany's per-id protection between cache instances (each its own locks and L1) on the real Redis. */
describe("getOrSetMany per-id protection", () => {
  const suite = cacheSuite("batch-protection");

  it("ids another instance is loading are waited on; the rest are loaded at once in one call; the waited ones get its fill", async () => {
    const a = (await suite.make()).namespace<string>("row");
    const b = (await suite.make()).namespace<string>("row");
    const first = gatedLoader("a");
    const loadingA = a.getOrSetMany(page(1, 10), first.loader);
    await waitUntil(() => first.asked.length === 1, 5_000, "a's batch loader call");
    const second = vi.fn(async (ids: Ids) => ids.map((id) => `b ${id}`));
    const loadingB = b.getOrSetMany(page(5, 15), second);
    // b loads what nobody holds without waiting for a's load.
    await waitUntil(() => second.mock.calls.length === 1, 5_000, "b's batch loader call");
    expect(second).toHaveBeenCalledWith(page(11, 15));
    first.release();
    expect(await loadingA).toEqual(page(1, 10).map((id) => `a ${id}`));
    expect(await loadingB).toEqual([...page(5, 10).map((id) => `a ${id}`), ...page(11, 15).map((id) => `b ${id}`)]);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it("a cold page of 50 ids costs 3 round trips: the read, the locks of all ids at once, the fills (and one loader call)", async () => {
    const cache = await suite.make();
    const ns = cache.namespace<string>("row");
    const trips = countRoundTrips(cacheInternals(cache).redis as never);
    const loader = vi.fn(async (ids: Ids) => ids.map((id) => `v ${id}`));
    expect(await ns.getOrSetMany(page(100, 149), loader)).toEqual(page(100, 149).map((id) => `v ${id}`));
    console.log(`cold page of 50 ids: ${trips.count} round trips, ${loader.mock.calls.length} loader call(s)`);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(trips.count).toBe(3);
  });

  it("a getOrSetMany and a getOrSet of the same id in one process share one load, in either order", async () => {
    const cache = await suite.make();
    const ns = cache.namespace<string>("row");
    const batch = gatedLoader("batch");
    const single = vi.fn(async () => "single");
    // Asked in the same tick: whichever registers its flight for id 2 first loads it, the other joins.
    const many = ns.getOrSetMany([1, 2], batch.loader);
    const joined = ns.getOrSet(2, single);
    await waitUntil(() => batch.asked.length === 1, 5_000, "the batch loader call");
    batch.release();
    const [fromMany, fromSingle] = await Promise.all([many, joined]);
    expect(fromMany[1]).toBe(fromSingle);
    expect(batch.asked.flat().filter((id) => id === 2).length + single.mock.calls.length).toBe(1);

    let releaseSingle!: () => void;
    const slowSingle = vi.fn(() => new Promise<string>((resolve) => (releaseSingle = () => resolve("single 3"))));
    const running = ns.getOrSet(3, slowSingle);
    await waitUntil(() => slowSingle.mock.calls.length === 1, 5_000, "the single loader call");
    const loader = vi.fn(async (ids: Ids) => ids.map((id) => `batch ${id}`));
    const later = ns.getOrSetMany([3, 4], loader);
    await waitUntil(() => loader.mock.calls.length === 1, 5_000, "the batch loader call");
    expect(loader).toHaveBeenCalledWith([4]);
    releaseSingle();
    expect(await running).toBe("single 3");
    expect(await later).toEqual(["single 3", "batch 4"]);
  });

  it("fenced: a batch load begun before a delete of one of its ids never lands for that id, in any instance", async () => {
    const writer = (await suite.make()).namespace<string>("row");
    const cache = await suite.make();
    const ns = cache.namespace<string>("row");
    const batch = gatedLoader("old");
    const loading = ns.getOrSetMany([1, 2, 3], batch.loader);
    await waitUntil(() => batch.asked.length === 1, 5_000, "the batch loader call");
    await writer.delete(2);
    batch.release();
    expect(await loading).toEqual(["old 1", "old 2", "old 3"]);
    const reader = (await suite.make()).namespace<string>("row");
    expect(await reader.get(1)).toBe("old 1");
    expect(await reader.get(2)).toBeUndefined();
    expect(await ns.get(2)).toBeUndefined();
    expect(cache.stats().totals.fillsRefused).toBe(1);
  });

  it('with onLockTimeout "throw", an id whose holder never fills fails the batch with the lock timeout as cause; the rest load', async () => {
    const holder = (await suite.make()).namespace<string>("row");
    const hung = gatedLoader("holder");
    const held = holder.getOrSetMany([7], hung.loader);
    await waitUntil(() => hung.asked.length === 1, 5_000, "the holder's batch loader call");
    const ns = (await suite.make()).namespace<string>("row");
    const loader = vi.fn(async (ids: Ids) => ids.map((id) => `mine ${id}`));
    const error = (await ns
      .getOrSetMany([6, 7, 8], loader, { onLockTimeout: "throw", lockWaitTimeoutMs: 200 })
      .catch((caught) => caught)) as BatchLoadError;
    expect(error).toBeInstanceOf(BatchLoadError);
    expect(error.cause).toBeInstanceOf(LockTimeoutError);
    expect(error.failedIds).toEqual([7]);
    expect(error.results).toEqual(["mine 6", undefined, "mine 8"]);
    expect(loader).toHaveBeenCalledWith([6, 8]);
    hung.release();
    await held;
  });
});
