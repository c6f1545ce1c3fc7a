import type { Redis } from "ioredis";
import pg from "pg";
import { E2E } from "./env.js";

/** Runs `sql` on the admin database (CREATE/DROP DATABASE cannot run inside the database itself). */
async function onAdminDatabase(...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: E2E.postgresAdminUrl });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Drops `database` (closing its connections) and creates it empty. */
export function recreateDatabase(database: string): Promise<void> {
  return onAdminDatabase(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, `CREATE DATABASE ${database}`);
}

export function dropDatabase(database: string): Promise<void> {
  return onAdminDatabase(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}

/** Deletes every key under `prefix:` with SCAN + UNLINK (never FLUSHALL: the Redis is shared); returns how many. */
export async function dropKeys(redis: Redis, prefix: string): Promise<number> {
  let removed = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== "0");
  return removed;
}
