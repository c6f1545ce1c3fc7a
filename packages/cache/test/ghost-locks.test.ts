import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CacheInternals, cacheInternals } from "../src/cache.js";
import { type Cache, createCache } from "../src/index.js";
import { recordingLogger } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";
import { OwnRedisServer } from "./support/redis-server.js";

/**
 * A Redis stall in the middle of lock acquisitions: the client gives up on the
 * acquire (watchdog), but Redis runs the queued script when it resumes, so the
 * lock exists with nobody owning it. Such a lock must be freed by its token as
 * soon as Redis answers again, not at lockTtlMs.
 */
describe("locks whose acquire outcome is unknown (Redis SIGSTOPped under load)", () => {
  let server: OwnRedisServer;
  beforeAll(async () => {
    server = await OwnRedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  const make = (): Promise<Cache> => {
    // A long lock TTL, so only an explicit release (not the TTL) can free a ghost lock within the test's bound.
    const cache = createCache({
      redis: server.url,
      prefix: "ghost",
      logger: recordingLogger(),
      commandTimeoutMs: 250,
      breakerCoolDownMs: 100,
      defaults: { lockTtlMs: 10_000, ttlMs: 60_000 },
    });
    return cache.ready().then(() => cache);
  };

  it("20 getOrSet loops through an 800 ms SIGSTOP leave no lock that makes a later read wait", async () => {
    const cache = await make();
    const other = await make();
    const ns = cache.namespace<string>("item");
    let running = true;
    let next = 0;
    const loops = Array.from({ length: 20 }, async () => {
      while (running) {
        const id = next++;
        await ns.getOrSet(id, async () => `v${id}`).catch(() => undefined);
        // With Redis unreachable a call never touches I/O: yield, or the loops starve the timers.
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    try {
      await waitUntil(() => next > 200, 10_000, "loops warmed up");
      server.pause();
      // The fault itself: Redis frozen for 800 ms.
      await new Promise((resolve) => setTimeout(resolve, 800));
      server.resume();
      await waitUntil(() => cache.stats().l2.status === "ready" && cache.stats().l2.circuit === "closed", 10_000, "reconnected");
    } finally {
      server.resume();
      running = false;
      await Promise.all(loops);
    }
    const probe = cacheInternals(other).redis as NonNullable<CacheInternals["redis"]>;
    const lockKeys = async () => {
      const found: string[] = [];
      let cursor = "0";
      do {
        const [nextCursor, keys] = await probe.scan(cursor, "MATCH", "ghost:item:*:lock", "COUNT", 1_000);
        cursor = nextCursor;
        found.push(...keys);
      } while (cursor !== "0");
      return found;
    };
    const afterStall = await lockKeys();
    const pttls = await Promise.all(afterStall.map((key) => probe.pttl(key)));
    console.log(`ghost locks right after the stall: ${afterStall.length} (PTTL ${pttls.slice(0, 3).join(", ")}...)`);
    // Bounded well below lockTtlMs (10 s): only a release by token gets there.
    await waitUntil(async () => (await lockKeys()).length === 0, 3_000, "every ghost lock released").catch(async (error) => {
      console.log(`ghost locks 3 s after the stall: ${(await lockKeys()).length}`);
      throw error;
    });
    // And a read on another instance of any of those ids does not wait on a lock.
    const ids = afterStall.map((key) => Number(/\{(\d+)\}/.exec(key)?.[1]));
    await Promise.all(ids.map((id) => other.namespace<string>("item").getOrSet(id, async () => "fresh")));
    expect(other.stats().totals.lockWaits).toBe(0);
    await cache.close();
    await other.close();
  });
});
