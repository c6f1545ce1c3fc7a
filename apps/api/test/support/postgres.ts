import { randomBytes } from "node:crypto";
import pg from "pg";

/** The shared Postgres the suites run against; each file makes a database of its own. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs one statement on the test database with a short-lived client. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates `hoard_api_<random>` and returns how to reach and drop it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `hoard_api_${randomBytes(5).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    name,
    url,
    query: async (sql, params) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Runs a statement on the maintenance database (ALTER DATABASE, pg_terminate_backend...). */
export function adminQuery(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
  return admin((client) => client.query(sql, params));
}
