/**
 * Run by the first webServer command before the API starts (Playwright starts web
 * servers before globalSetup): recreates the e2e database and deletes the e2e key
 * prefix in Redis with SCAN + UNLINK (never FLUSHALL: the Redis is shared).
 */
import { Redis } from "ioredis";
import pg from "pg";
import { E2E } from "./env.js";

async function resetDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: E2E.postgresAdminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${E2E.database} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${E2E.database}`);
  } finally {
    await client.end();
  }
}

async function dropKeys(): Promise<number> {
  const redis = new Redis(E2E.redisUrl, { maxRetriesPerRequest: 1 });
  let removed = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${E2E.cachePrefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return removed;
}

await resetDatabase();
const removed = await dropKeys();
console.log(`e2e: database ${E2E.database} recreated, ${removed} keys under ${E2E.cachePrefix}: removed`);
