/**
 * A tour of @hoard/cache against the Redis at REDIS_URL (default
 * redis://127.0.0.1:6379): cache-aside, negative caching, single flight and
 * the stats. Run with `pnpm --filter @hoard/cache demo`.
 */
import { createCache } from "../src/index.js";

const cache = createCache({ prefix: "hoard-demo", redis: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" });
await cache.ready().catch(() => console.warn("Redis is not reachable: running on L1 and the loader only."));

interface Profile {
  id: number;
  name: string;
}
const users = cache.namespace<Profile>("user", { version: 1, ttlMs: 30_000 });
let databaseQueries = 0;
const fakeDatabase = async ({ id }: { id: string | number }): Promise<Profile | null> => {
  databaseQueries++;
  await new Promise((resolve) => setTimeout(resolve, 50));
  return Number(id) <= 100 ? { id: Number(id), name: `user ${id}` } : null;
};

await users.delete(1);
console.log("first read (database):", await users.getOrSet(1, fakeDatabase));
console.log("second read (L1):     ", await users.getOrSet(1, fakeDatabase));
console.log("missing id (cached as absent):", await users.getOrSet(404, fakeDatabase), await users.getOrSet(404, fakeDatabase));
await users.delete(2);
await Promise.all(Array.from({ length: 500 }, () => users.getOrSet(2, fakeDatabase)));
console.log(`500 concurrent reads of a cold key -> database queries so far: ${databaseQueries}`);
console.log(JSON.stringify(cache.stats().totals, null, 2));
await cache.close();
