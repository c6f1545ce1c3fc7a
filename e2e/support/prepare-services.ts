/**
 * Run by the first webServer command before the API starts (Playwright starts web
 * servers before globalSetup): recreates the e2e database and deletes the e2e key
 * prefix in Redis with SCAN + UNLINK (never FLUSHALL: the Redis is shared).
 */
import { Redis } from "ioredis";
import { E2E } from "./env.js";
import { dropKeys, recreateDatabase } from "./reset.js";

await recreateDatabase(E2E.database);
const redis = new Redis(E2E.redisUrl, { maxRetriesPerRequest: 1 });
let removed: number;
try {
  removed = await dropKeys(redis, E2E.cachePrefix);
} finally {
  redis.disconnect();
}
console.log(`e2e: database ${E2E.database} recreated, ${removed} keys under ${E2E.cachePrefix}: removed`);
