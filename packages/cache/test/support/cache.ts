import { afterAll, afterEach } from "vitest";
import { type Cache, type CacheOptions, createCache } from "../../src/index.js";
import type { CacheLogger } from "../../src/observability/burst-logger.js";
import { dropPrefix, inspector, REDIS_TARGET, uniquePrefix } from "./redis.js";

/** A logger that records instead of printing. */
export function recordingLogger(): CacheLogger & { lines: { level: string; object: object; message?: string }[] } {
  const lines: { level: string; object: object; message?: string }[] = [];
  return {
    lines,
    warn: (object, message) => lines.push({ level: "warn", object, message }),
  };
}

/**
 * Whether `cache` is back to normal after Redis went away: its command connection is ready (the bus
 * subscriber and the command connection reconnect on their own back-off, so one can be up well
 * before the other), the breaker is closed, and the bus (if any) hears again.
 */
export function redisBack(cache: Cache): boolean {
  const { l2, bus } = cache.stats();
  return l2.status === "ready" && l2.circuit === "closed" && (bus === null || bus.connected);
}

/**
 * Gives a suite its own key prefix on the shared Redis (or on the test Redis
 * Cluster in the `cache-cluster` project), a factory for caches under it, and
 * cleans both up after each test.
 */
export function cacheSuite(name: string) {
  const redis = inspector();
  const caches: Cache[] = [];
  let prefix = uniquePrefix(name);

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
    await dropPrefix(redis, prefix);
    prefix = uniquePrefix(name);
  });
  afterAll(async () => {
    await redis.quit();
  });

  return {
    redis,
    get prefix() {
      return prefix;
    },
    /** A connected cache under the suite's prefix (bus and L2 ready). */
    async make(options: CacheOptions = {}): Promise<Cache> {
      const cache = createCache({ prefix, redis: REDIS_TARGET, logger: recordingLogger(), ...options });
      caches.push(cache);
      if (options.redis !== false) await cache.ready();
      return cache;
    },
  };
}
