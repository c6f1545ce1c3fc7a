import { describe, expect, it, vi } from "vitest";
import { LoaderError, LoaderTimeoutError, LockTimeoutError } from "../src/errors.js";
import { cacheSuite } from "./support/cache.js";
import { ManualClock } from "./support/clock.js";

interface Row {
  v: string;
}

describe("fail-safe, grace and loader timeouts", () => {
  const suite = cacheSuite("failsafe");
  const policy = { jitter: 0, earlyRefreshBeta: 0, ttlMs: 1_000, graceMs: 60_000 };

  async function withStaleCopy(clock: ManualClock) {
    const cache = await suite.make({ clock, defaults: policy });
    const staleEvents: string[] = [];
    cache.on("staleServed", (event) => staleEvents.push(event.reason));
    const ns = cache.namespace<Row>("row");
    await ns.getOrSet(1, async () => ({ v: "old" }));
    clock.advance(1_001); // past TTL, within grace
    return { cache, ns, staleEvents };
  }

  it("serves the stale copy when the loader throws, and flags it", async () => {
    const clock = new ManualClock();
    const { cache, ns, staleEvents } = await withStaleCopy(clock);
    expect(await ns.getOrSet(1, async () => Promise.reject(new Error("db down")))).toEqual({ v: "old" });
    expect(staleEvents).toEqual(["loader-error"]);
    expect(cache.stats().totals.staleServed).toBe(1);
  });

  it("without a stale copy, a failing loader is a LoaderError", async () => {
    const cache = await suite.make({ defaults: policy });
    await expect(cache.namespace<Row>("row").getOrSet(9, async () => Promise.reject(new Error("db down")))).rejects.toBeInstanceOf(
      LoaderError,
    );
  });

  it("soft timeout: serves stale at once and fills in the background", async () => {
    const clock = new ManualClock();
    const { ns, staleEvents } = await withStaleCopy(clock);
    let finish!: () => void;
    const slow = vi.fn(
      () =>
        new Promise<Row>((resolve) => {
          finish = () => resolve({ v: "new" });
        }),
    );
    const started = performance.now();
    expect(await ns.getOrSet(1, slow, { softTimeoutMs: 30 })).toEqual({ v: "old" });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(staleEvents).toEqual(["soft-timeout"]);
    finish();
    await vi.waitFor(async () => expect(await ns.get(1)).toEqual({ v: "new" }), { timeout: 2_000, interval: 10 });
    expect(slow).toHaveBeenCalledTimes(1);
  });

  it("hard timeout: stale copy if there is one, else LoaderTimeoutError, and the loader's signal is aborted", async () => {
    const clock = new ManualClock();
    const { ns, staleEvents } = await withStaleCopy(clock);
    const never = () => new Promise<Row>(() => {});
    expect(await ns.getOrSet(1, never, { hardTimeoutMs: 30 })).toEqual({ v: "old" });
    expect(staleEvents).toEqual(["hard-timeout"]);

    let aborted = false;
    const error = await ns
      .getOrSet(
        2,
        ({ signal }) =>
          new Promise<Row>(() => {
            signal.addEventListener("abort", () => {
              aborted = true;
            });
          }),
        { hardTimeoutMs: 30 },
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(LoaderTimeoutError);
    expect(error.code).toBe("E_LOADER_TIMEOUT");
    expect(aborted).toBe(true);
  });

  it("past the lock wait deadline: stale if within grace, else load, or LockTimeoutError when asked", async () => {
    const clock = new ManualClock();
    const { ns, staleEvents } = await withStaleCopy(clock);
    const lockKey = `${suite.prefix}:row:v1:{1}:lock`;
    await suite.redis.set(lockKey, "someone-else", "PX", 10_000); // another process holds the lock
    const loader = vi.fn(async () => ({ v: "mine" }));
    expect(await ns.getOrSet(1, loader, { lockWaitTimeoutMs: 100 })).toEqual({ v: "old" });
    expect(staleEvents).toEqual(["lock-timeout"]);
    expect(loader).not.toHaveBeenCalled();

    await suite.redis.set(`${suite.prefix}:row:v1:{2}:lock`, "someone-else", "PX", 10_000);
    const started = performance.now();
    expect(await ns.getOrSet(2, loader, { lockWaitTimeoutMs: 100 })).toEqual({ v: "mine" });
    expect(performance.now() - started).toBeLessThan(1_000);
    await suite.redis.set(`${suite.prefix}:row:v1:{3}:lock`, "someone-else", "PX", 10_000);
    await expect(ns.getOrSet(3, loader, { lockWaitTimeoutMs: 100, onLockTimeout: "throw" })).rejects.toBeInstanceOf(LockTimeoutError);
  });
});
