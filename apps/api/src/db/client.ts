import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { Logger } from "pino";
import * as schema from "./schema.js";

export type Database = NodePgDatabase<typeof schema>;

/** A query that Postgres has not answered in this long fails (the client side of a hung database). */
export const QUERY_TIMEOUT_MS = 2_000;

/** The pool and its drizzle view. One per instance. */
export interface DatabaseClient {
  pool: pg.Pool;
  db: Database;
  close(): Promise<void>;
}

/**
 * Opens the pool. Timeouts keep a dead or stuck Postgres from holding requests:
 * a connection that cannot be made in 2 s and a query that takes over 2 s fail
 * (and the API answers 503), as the README says.
 */
export function createDatabaseClient(url: string, log: Logger, options: { max?: number } = {}): DatabaseClient {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 2_000,
    query_timeout: QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    application_name: "hoard-api",
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on("error", (error) => log.warn({ err: error }, "postgres idle client error"));
  return {
    pool,
    db: drizzle(pool, { schema }),
    close: () => pool.end(),
  };
}

/** Whether Postgres answers within `timeoutMs`. */
export async function pingDatabase(pool: pg.Pool, timeoutMs = 1_000): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      pool.query("SELECT 1"),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
