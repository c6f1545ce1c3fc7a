import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cacheInternals } from "../src/cache.js";
import { InvalidKeyError } from "../src/errors.js";
import { createCache } from "../src/index.js";
import { L1_TTL_WHILE_BUS_DOWN_MS } from "../src/read/namespace-core.js";
import { cacheSuite, recordingLogger } from "./support/cache.js";
import { ManualClock, waitUntil } from "./support/clock.js";
import { OwnRedisServer } from "./support/redis-server.js";

describe("edge cases of the core paths", () => {
  const suite = cacheSuite("hardening");

  it("a batch and a single read failing together leave no unhandled rejection", async () => {
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      const cache = await suite.make({ defaults: { protection: "local" } });
      const ns = cache.namespace<number>("n");
      const failing = async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error("database down");
      };
      const single = ns.getOrSet(1, failing).catch((error) => error);
      const batch = ns.getOrSetMany([1, 2], failing).catch((error) => error);
      await Promise.all([single, batch]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });

  it("after clear() resolves, reads made during it left nothing old in this process's L1", async () => {
    const cache = await suite.make();
    const ns = cache.namespace<string>("n");
    for (let id = 0; id < 1_000; id++) await ns.set(id, "old");
    const l1Only = cache.namespace<string>("n");
    const clearing = ns.clear();
    // Reads race the SCAN: some find old values in L2 and put them in L1.
    const reads = Array.from({ length: 1_000 }, (_, id) => l1Only.getOrSet(id, async () => "new"));
    await Promise.all([clearing, ...reads]);
    const values = await Promise.all(Array.from({ length: 1_000 }, (_, id) => ns.getOrSet(id, async () => "new")));
    expect(values.filter((value) => value === "old")).toHaveLength(0);
  });

  it("an override given as undefined keeps the namespace default", async () => {
    const cache = await suite.make();
    const ns = cache.namespace<number>("n", { ttlMs: 60_000 });
    const loader = vi.fn(async () => 1);
    await ns.getOrSet(1, loader, { ttlMs: undefined, lockWaitTimeoutMs: undefined });
    await ns.getOrSet(1, loader, { ttlMs: undefined });
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it("an id that is not well-formed Unicode is an InvalidKeyError, not a URIError", async () => {
    const cache = await suite.make({ redis: false });
    await expect(cache.namespace<number>("n").getOrSet("\ud800", async () => 1)).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it("an error reply from Redis does not open the circuit breaker", async () => {
    const cache = await suite.make({ breakerThreshold: 1 });
    const ns = cache.namespace<number>("n");
    for (let i = 0; i < 3; i++) await ns.inspect({ tier: "l2", cursor: "99999999999999999999" });
    expect(cache.stats().l2.circuit).toBe("closed");
  });

  it("soft timeout bounds the wait on another process's lock when a stale copy exists", async () => {
    const clock = new ManualClock();
    const cache = await suite.make({ clock, defaults: { jitter: 0, earlyRefreshBeta: 0, ttlMs: 1_000, graceMs: 60_000 } });
    const ns = cache.namespace<string>("n");
    await ns.getOrSet(1, async () => "old");
    clock.advance(1_001);
    await suite.redis.set(`${suite.prefix}:n:v1:{1}:lock`, "another-process", "PX", 10_000);
    const started = performance.now();
    expect(await ns.getOrSet(1, async () => "mine", { softTimeoutMs: 50 })).toBe("old");
    expect(performance.now() - started).toBeLessThan(1_000); // not the 5 s lock wait
    expect(cache.stats().totals.lockTimeouts).toBe(0);
  });

  it("early refresh also runs from L2 hits (L1 off) with local and distributed protection", async () => {
    for (const protection of ["local", "distributed"] as const) {
      const cache = await suite.make({ l1: false, defaults: { jitter: 0, graceMs: 0 } });
      const ns = cache.namespace<number>(`hot-${protection}`, { ttlMs: 300, earlyRefreshBeta: 2, protection });
      const loader = async () => {
        await new Promise((resolve) => setTimeout(resolve, 25));
        return 1;
      };
      await ns.getOrSet("k", loader);
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        await ns.getOrSet("k", loader);
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      expect(cache.stats().totals.earlyRefreshes, protection).toBeGreaterThanOrEqual(3);
    }
  });

  it("messages arriving slightly out of order are not a gap", async () => {
    const cache = await suite.make();
    const ns = cache.namespace<number>("n");
    await ns.getOrSet(1, async () => 1);
    const channel = `${suite.prefix}:bus`;
    const send = (s: number) => suite.redis.publish(channel, JSON.stringify({ o: "reordering-node", s, t: "inv", k: ["other"] }));
    await send(1);
    await send(3);
    await send(2); // late, within the reorder window
    await send(4);
    await waitUntil(() => (cache.stats().bus?.received ?? 0) >= 4, 2_000, "messages received");
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the reorder window: no gap may appear now
    expect(cache.stats().bus?.gaps).toBe(0);
    expect(cache.stats().l1.entries).toBe(1);
  });
});

describe("invalidations while Redis is unreachable", () => {
  let server: OwnRedisServer;
  beforeAll(async () => {
    server = await OwnRedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("a delete that cannot reach Redis is kept and replayed when it returns; L1 entries filled meanwhile live briefly", async () => {
    const clock = new ManualClock();
    const options = { redis: server.url, prefix: "replay", logger: recordingLogger(), commandTimeoutMs: 200, breakerCoolDownMs: 100 };
    const writer = createCache({ ...options, clock, defaults: { jitter: 0, ttlMs: 600_000 } });
    const reader = createCache({ ...options, clock, defaults: { jitter: 0, ttlMs: 600_000 } });
    await Promise.all([writer.ready(), reader.ready()]);
    await writer.namespace<string>("user").set(1, "old");

    server.pause(); // Redis stops answering: the delete times out
    try {
      expect(await writer.namespace<string>("user").delete(1)).toBe(false);
      expect(writer.stats().l2.pendingInvalidations).toBe(1);
    } finally {
      server.resume();
    }
    await waitUntil(() => writer.stats().l2.pendingInvalidations === 0, 10_000, "replay");
    expect(writer.stats().l2.replayedInvalidations).toBe(1);
    expect(await reader.namespace<string>("user").getOrSet(1, async () => "new")).toBe("new");
    await writer.close();

    // While the bus is down, what L1 takes in lives at most L1_TTL_WHILE_BUS_DOWN_MS.
    await server.stop();
    await waitUntil(() => reader.stats().bus?.connected === false, 5_000, "bus down");
    const ns = reader.namespace<string>("user");
    await ns.getOrSet(2, async () => "during outage");
    const loader = vi.fn(async () => "later");
    clock.advance(L1_TTL_WHILE_BUS_DOWN_MS + 1);
    expect(await ns.getOrSet(2, loader)).toBe("later");
    await server.restart();
    await reader.close();
  });

  it("a lock whose fill could not reach Redis is freed when Redis answers again, not at lockTtlMs", async () => {
    const options = { redis: server.url, prefix: "orphan", logger: recordingLogger(), commandTimeoutMs: 200, breakerCoolDownMs: 100 };
    const cache = createCache({ ...options, defaults: { lockTtlMs: 60_000 } });
    await cache.ready();
    const inspectorClient = createCache({ ...options });
    await inspectorClient.ready();
    let finish!: () => void;
    const loading = cache.namespace<string>("n").getOrSet(
      1,
      () =>
        new Promise<string>((resolve) => {
          finish = () => resolve("loaded");
        }),
    );
    const lockKey = "orphan:n:v1:{1}:lock";
    await waitUntil(async () => (await cacheInternals(inspectorClient).redis?.exists(lockKey)) === 1, 5_000, "lock taken");
    server.pause();
    try {
      finish();
      expect(await loading).toBe("loaded"); // served, although the fill could not be stored
      expect(cache.stats().l2.pendingInvalidations).toBe(1);
    } finally {
      server.resume();
    }
    // (A paused server may still run the timed-out fill once resumed; either way the lock must go quickly.)
    await waitUntil(async () => (await cacheInternals(inspectorClient).redis?.exists(lockKey)) === 0, 10_000, "lock released");
    await waitUntil(() => cache.stats().l2.pendingInvalidations === 0, 10_000, "release replayed");
    await cache.close();
    await inspectorClient.close();
  });
});
