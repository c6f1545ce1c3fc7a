import { describe, expect, it } from "vitest";
import { cacheInternals } from "../src/cache.js";
import { cacheSuite } from "./support/cache.js";

describe("distributed lock", () => {
  const suite = cacheSuite("lock");

  it("is released only by its holder's token (compare-and-delete)", async () => {
    const cache = await suite.make();
    const l2 = cacheInternals(cache).l2!;
    const keys = {
      value: `${suite.prefix}:{x}`,
      lease: `${suite.prefix}:{x}:lease`,
      lock: `${suite.prefix}:{x}:lock`,
      generation: `${suite.prefix}:{x}:gen`,
    };
    const first = await l2.acquire(keys, "token-a", { leaseTtlMs: 5_000, lockTtlMs: 5_000, wantLock: true, nowMs: Date.now() });
    expect(first).toEqual({ acquired: true, existing: null, lockPttlMs: -1 });
    const second = await l2.acquire(keys, "token-b", { leaseTtlMs: 5_000, lockTtlMs: 5_000, wantLock: true, nowMs: Date.now() });
    expect(second).toMatchObject({ acquired: false, existing: null });
    expect(await suite.redis.get(keys.lease)).toBe("token-a|"); // a waiter never takes the holder's lease
    const none = () => ({ channel: "", message: "" });
    expect(await l2.release(keys.lock, "token-b", none)).toBe(false);
    expect(await suite.redis.get(keys.lock)).toBe("token-a");
    expect(await l2.release(keys.lock, "token-a", none)).toBe(true);
    expect(await suite.redis.exists(keys.lock)).toBe(0);
  });

  it("frees itself at lockTtlMs when the holder never releases", async () => {
    const cache = await suite.make();
    const keys = {
      value: `${suite.prefix}:{y}`,
      lease: `${suite.prefix}:{y}:lease`,
      lock: `${suite.prefix}:{y}:lock`,
      generation: `${suite.prefix}:{y}:gen`,
    };
    await cacheInternals(cache).l2!.acquire(keys, "dead-holder", { leaseTtlMs: 5_000, lockTtlMs: 300, wantLock: true, nowMs: Date.now() });
    const pttl = await suite.redis.pttl(keys.lock);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
  });

  it("a live slow loader keeps its lock past lockTtlMs (renewed while loading): waiters get its value, nobody loads twice", async () => {
    const holder = await suite.make({ defaults: { lockTtlMs: 300 } });
    const waiter = await suite.make({ defaults: { lockTtlMs: 300, lockWaitTimeoutMs: 10_000 } });
    let loads = 0;
    let loading!: () => void;
    const started = new Promise<void>((resolve) => {
      loading = resolve;
    });
    const slow = holder.namespace<string>("slow").getOrSet(1, async () => {
      loads++;
      loading();
      // Four lock TTLs long.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      return "holder";
    });
    await started;
    const waited = await waiter.namespace<string>("slow").getOrSetDetailed(1, async () => {
      loads++;
      return "robber";
    });
    expect(await slow).toBe("holder");
    expect(waited.value).toBe("holder");
    expect(waited.source).toBe("lock-wait");
    expect(loads).toBe(1);
  });

  it("wakes waiters when the value lands (pub/sub), not at the next poll", async () => {
    const holder = await suite.make();
    const waiter = await suite.make();
    const holderNs = holder.namespace<string>("w");
    const waiterNs = waiter.namespace<string>("w");
    let filledAt = 0;
    holder.on("fill", () => {
      filledAt = performance.now();
    });
    const holding = holderNs.getOrSet("k", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return "value";
    });
    await new Promise((resolve) => setTimeout(resolve, 30)); // the holder has the lock
    let loaderCalled = false;
    const waited = await waiterNs.getOrSet("k", async () => {
      loaderCalled = true;
      return "waiter loaded";
    });
    const wokeAt = performance.now();
    await holding;
    expect(waited).toBe("value");
    expect(loaderCalled).toBe(false);
    expect(waiter.stats().totals.lockWaits).toBe(1);
    // The poll fallback (25, 50, 100, 200, 400, 500 ms apart) would wake 1,275 ms after the waiter began,
    // about 300 ms after the fill (at about 970 ms): the bus wakes it long before, with room for a busy machine.
    console.log(`waiter woke ${Math.round(wokeAt - filledAt)} ms after the fill`);
    expect(wokeAt - filledAt).toBeLessThan(150);
  });
});
