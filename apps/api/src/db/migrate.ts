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
 * nothing to do). Retries for up to `connectTimeoutMs`: the first connection,
 * and a whole attempt whose connection failed midway (a query timeout, a reset:
 * Postgres cut off while the instance starts). The broken connection is
 * dropped, so its session, and the advisory lock it may hold, ends with it;
 * the migrations run in a transaction, so a cut attempt leaves nothing half
 * applied. An error Postgres answered (a failing migration) is not retried.
 */
export async function migrateWithLock(pool: pg.Pool, log: Logger, connectTimeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + connectTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    const client = await connectWithRetry(pool, log, Math.max(0, deadline - Date.now()));
    try {
      await migrateOnce(client, log);
    } catch (error) {
      client.release(error as Error);
      if (!isConnectionFailure(error) || Date.now() > deadline) throw error;
      log.warn({ err: error, attempt }, "the connection to postgres failed during migrations, retrying");
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
      continue;
    }
    client.release();
    return;
  }
}

async function migrateOnce(client: pg.PoolClient, log: Logger): Promise<void> {
  // Waiting for another instance's migrations may take longer than the pool's 2 s query timeout.
  await client.query({
    text: "SELECT pg_advisory_lock($1)",
    values: [MIGRATION_LOCK_ID],
    query_timeout: LOCK_WAIT_TIMEOUT_MS,
  } as pg.QueryConfig);
  let failure: unknown;
  try {
    const started = performance.now();
    await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
    log.info({ ms: Math.round(performance.now() - started) }, "migrations applied");
  } catch (error) {
    failure = error;
  }
  // The migration's own error is the one to report, not the unlock's on a connection it broke.
  const unlocked = client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]);
  if (failure !== undefined) {
    unlocked.catch(() => {});
    throw failure;
  }
  await unlocked;
}

/**
 * Whether `error` (or one of its causes) is the connection failing rather than Postgres answering with an
 * error: no SQLSTATE, or a connection-class one (08…, 57P01–57P03 for a backend shut down or not ready).
 */
export function isConnectionFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code.startsWith("08") || /^57P0[123]$/.test(code);
    if (/timeout|terminated|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|socket/i.test(current.message)) return true;
  }
  return false;
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
