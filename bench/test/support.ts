import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";

/** One read of a consistency-checker History, as the load generator records it (id 7 unless told). */
export const readRecord = (startAt: number, version: number, id = 7, ok = true) => ({
  id,
  instance: -1,
  startAt,
  endAt: startAt + 5,
  ok,
  status: ok ? 200 : 503,
  version,
});

/** The bench's API rows run the built API: fail at once, saying so, when apps/api is not built. */
export function requireBuiltApi(): void {
  const dist = fileURLToPath(new URL("../../apps/api/dist/index.js", import.meta.url));
  if (!existsSync(dist)) throw new Error("apps/api is not built: run `pnpm build` first (the benchmark runs the built API)");
}

/** Drops a test run's own database (and the connections the instances left). */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
