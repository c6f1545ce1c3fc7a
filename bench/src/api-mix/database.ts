import pg from "pg";

/** Creates `database` when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
}

/**
 * Makes the users ids 1..count exist (version `v0` in their display name, as the
 * consistency checker reads it) and no other; cheap when they already do, so
 * one seed serves every variant and every run. Needs the API's migrations
 * applied (`migrateDatabase`).
 */
export async function seedBenchUsers(databaseUrl: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string; max: number | null }>("SELECT count(*) AS n, max(id) AS max FROM users");
    if (Number(rows[0]?.n) === count && rows[0]?.max === count) return;
    await client.query("DELETE FROM users WHERE id > $1", [count]);
    await client.query(
      `INSERT INTO users (id, username, email, display_name, bio)
       OVERRIDING SYSTEM VALUE
       SELECT g, 'bench_' || g, 'bench_' || g || '@bench.example', 'v0',
              'Writes about caches, databases and the small hours of on-call. Likes tea, dislikes stampedes.'
       FROM generate_series(1, $1::int) AS g
       ON CONFLICT DO NOTHING`,
      [count],
    );
    await client.query("VACUUM ANALYZE users");
  } finally {
    await client.end();
  }
}

/** Empties the invalidation outbox: a variant that does not drain it (all but Hoard) leaves rows the next one must not inherit. */
export async function clearOutbox(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("DELETE FROM cache_invalidation_outbox");
  } finally {
    await client.end();
  }
}
