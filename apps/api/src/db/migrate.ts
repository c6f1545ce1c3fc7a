import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { type Logger, pino } from "pino";

/** The committed drizzle-kit migrations (apps/api/drizzle), from src/ or dist/. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Any constant shared by every instance: the advisory lock that serialises migrations. */
const MIGRATION_LOCK_ID = 0x486f_6172; // "Hoar"
/** How long an instance waits for the others' migrations. */
const LOCK_WAIT_TIMEOUT_MS = 120_000;

/**
 * Applies pending migrations while holding a session advisory lock, so several
 * instances starting at once migrate one after another (the later ones find
 * nothing to do). Retries the first connection for up to `connectTimeoutMs`.
 */
export async function migrateWithLock(pool: pg.Pool, log: Logger, connectTimeoutMs = 15_000): Promise<void> {
  const client = await connectWithRetry(pool, log, connectTimeoutMs);
  try {
    // Waiting for another instance's migrations may take longer than the pool's 2 s query timeout.
    await client.query({
      text: "SELECT pg_advisory_lock($1)",
      values: [MIGRATION_LOCK_ID],
      query_timeout: LOCK_WAIT_TIMEOUT_MS,
    } as pg.QueryConfig);
    try {
      const started = performance.now();
      await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
      log.info({ ms: Math.round(performance.now() - started) }, "migrations applied");
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]);
    }
  } finally {
    client.release();
  }
}

async function connectWithRetry(pool: pg.Pool, log: Logger, timeoutMs: number): Promise<pg.PoolClient> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await pool.connect();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`Postgres did not accept a connection within ${timeoutMs} ms: ${(error as Error).message}. Check DATABASE_URL.`, {
          cause: error,
        });
      }
      log.warn({ err: error, attempt }, "postgres not reachable yet, retrying");
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
    }
  }
}

/** Applies pending migrations to the database at `databaseUrl` on a connection of its own (for tools that start no instance). */
export async function migrateDatabase(databaseUrl: string, log: Logger = pino({ enabled: false })): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await migrateWithLock(pool, log);
  } finally {
    await pool.end();
  }
}
