import { FaultProxy, OwnRedisServer, pollUntil } from "@hoard/test-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cache, createCache, type RedisInput } from "../src/index.js";
import { recordingLogger } from "./support/cache.js";
import { ON_CLUSTER } from "./support/redis.js";

/**
 * A connection reset while commands are in flight must fail those commands
 * (the cache then falls through to the loader), never leave them waiting:
 * one lost command would hang its key's single flight, and so every later
 * read of that key in the process. The reset comes while Redis is paused, so
 * every command sent before it is surely unanswered when the socket dies; the
 * client then reconnects at once to a healthy Redis (the case ioredis drops
 * such commands in, without rejecting them).
 */
describe.skipIf(ON_CLUSTER).each([
  { input: "a URL", redis: (port: number): RedisInput => `redis://127.0.0.1:${port}` },
  // The options that make commands settle win over the user's own.
  { input: "ioredis options asking for retries", redis: (port: number): RedisInput => ({ port, maxRetriesPerRequest: 3 }) },
])("a connection reset settles every command in flight (redis given as $input)", ({ redis }) => {
  let server: OwnRedisServer;
  let proxy: FaultProxy;
  let cache: Cache;

  beforeAll(async () => {
    server = await OwnRedisServer.start();
    proxy = await FaultProxy.start({ host: "127.0.0.1", port: server.port });
    cache = createCache({
      prefix: "reset",
      redis: redis(proxy.port),
      // Longer than the whole round: the stall watchdog must not be what rescues the commands.
      commandTimeoutMs: 20_000,
      bus: false,
      logger: recordingLogger(),
    });
    await cache.ready();
  });
  afterAll(async () => {
    await cache?.close();
    await proxy?.close();
    await server?.stop();
  });

  /** Every call of `calls` settles within `boundMs`; returns the ones that did not. */
  async function unsettledAfter(calls: Promise<unknown>[], boundMs: number): Promise<number> {
    let settled = 0;
    for (const call of calls)
      call.then(
        () => settled++,
        () => settled++,
      );
    await pollUntil("every call to settle", () => settled === calls.length, boundMs).catch(() => {});
    return calls.length - settled;
  }

  it("concurrent getOrSet through 5 resets: every call settles within 3 s and answers from the loader", async () => {
    const users = cache.namespace<{ id: number; round: number }>("user", { ttlMs: 60_000 });
    const settleMs: number[] = [];
    for (let round = 0; round < 5; round++) {
      // Start each round on a ready connection with the breaker closed, so the reads are really sent.
      await pollUntil(
        "Redis ready, breaker closed",
        async () => {
          await users.get(-1); // the probe that closes the breaker after its cool-down
          const { status, circuit } = cache.stats().l2;
          return status === "ready" && circuit === "closed";
        },
        10_000,
      );
      server.pause();
      const calls = Array.from({ length: 40 }, (_, i) =>
        users.getOrSet(round * 100 + (i % 10), async ({ id }) => ({ id: Number(id), round }), {
          protection: i % 2 ? "local" : "distributed",
        }),
      );
      // Let the reads reach the (paused) server, then reset every connection and heal at once.
      await new Promise((resolve) => setImmediate(resolve));
      proxy.cut();
      proxy.restore();
      server.resume();
      const resetAt = performance.now();
      const left = await unsettledAfter(calls, 3_000);
      settleMs.push(Math.round(performance.now() - resetAt));
      expect(left, `round ${round}: ${left} of ${calls.length} getOrSet calls still waiting 3 s after the reset`).toBe(0);
      const values = await Promise.all(calls);
      for (const [i, value] of values.entries()) expect(value?.id).toBe(round * 100 + (i % 10));
    }
    // The lost commands failed into the breaker (counted), not into the callers.
    expect(cache.stats().l2.circuitOpens).toBeGreaterThanOrEqual(1);
    console.log(`connection reset: all calls settled ${settleMs.join(", ")} ms after each reset`);
  });
});
