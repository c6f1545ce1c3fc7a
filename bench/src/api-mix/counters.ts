import type { Redis } from "ioredis";
import type pg from "pg";
import { delay } from "../fixtures.js";

/** Commands Redis has run since its start (INFO commandstats, summed over commands). */
export async function redisCommands(redis: Redis): Promise<number> {
  let total = 0;
  for (const calls of (await redisCommandsByName(redis)).values()) total += calls;
  return total;
}

/** Calls per command name since Redis started (INFO commandstats), e.g. `get`, `evalsha`, `publish`. */
export async function redisCommandsByName(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info("commandstats");
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1] as string, Number(match[2]));
  return calls;
}

/** Transactions committed or rolled back in `database` (pg_stat_database): each autocommitted query is one. */
export async function postgresTransactions(admin: pg.Client, database: string): Promise<number> {
  const result = await admin.query<{ xacts: string }>(
    "SELECT xact_commit + xact_rollback AS xacts FROM pg_stat_database WHERE datname = $1",
    [database],
  );
  return Number(result.rows[0]?.xacts ?? 0);
}

/**
 * Waits until the database's backends have reported their counters: Postgres
 * publishes a backend's statistics when it goes idle, at most once a second.
 */
export async function settlePostgresStats(): Promise<void> {
  await delay(1_100);
}
