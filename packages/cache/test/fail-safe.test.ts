import { describe, expect, it, vi } from "vitest";
import { InvalidOptionError, LoaderError, LoaderTimeoutError, LockTimeoutError } from "../src/errors.js";
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

  it("throttle: after a failure the stale copy is served without calling the loader for failSafeThrottleMs, then one call probes", async () => {
    const clock = new ManualClock();
    const { cache, ns, staleEvents } = await withStaleCopy(clock);
    const failing = vi.fn(async (): Promise<Row> => Promise.reject(new Error("db down")));
    const answers = [];
    for (let call = 0; call < 20; call++) answers.push(await ns.getOrSet(1, failing, { failSafeThrottleMs: 5_000 }));
    console.log(`fail-safe throttle: ${failing.mock.calls.length} loader call(s) for 20 reads of a failing key`);
    expect(answers.every((answer) => answer?.v === "old")).toBe(true);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(staleEvents.filter((reason) => reason === "throttled")).toHaveLength(19);
    clock.advance(5_001);
    // Past the throttle: one call probes (and fails again, so the next is throttled again).
    await Promise.all(Array.from({ length: 5 }, () => ns.getOrSet(1, failing, { failSafeThrottleMs: 5_000 })));
    expect(failing).toHaveBeenCalledTimes(2);
    expect(await ns.getOrSet(1, failing, { failSafeThrottleMs: 5_000 })).toEqual({ v: "old" });
    expect(failing).toHaveBeenCalledTimes(2);
    // A loader that works again after the throttle ends it.
    clock.advance(5_001);
    expect(await ns.getOrSet(1, async () => ({ v: "new" }), { failSafeThrottleMs: 5_000 })).toEqual({ v: "new" });
    expect(cache.stats().totals.staleServed).toBe(22);
  });

  it("throttle: a bad failSafeThrottleMs is an InvalidOptionError naming it", async () => {
    const cache = await suite.make({ defaults: policy });
    expect(() => cache.namespace("bad", { failSafeThrottleMs: -1 })).toThrow(/failSafeThrottleMs/);
    await expect(cache.namespace<Row>("row").getOrSet(1, async () => ({ v: "x" }), { failSafeThrottleMs: 1.5 })).rejects.toThrow(
      InvalidOptionError,
    );
  });

  it("throttle: 0 turns it off (every call reaches the failing loader)", async () => {
    const clock = new ManualClock();
    const { ns } = await withStaleCopy(clock);
    const failing = vi.fn(async (): Promise<Row> => Promise.reject(new Error("db down")));
    for (let call = 0; call < 5; call++) await ns.getOrSet(1, failing, { failSafeThrottleMs: 0 });
    expect(failing).toHaveBeenCalledTimes(5);
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
