import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { Logger } from "pino";

/** An embedded Postgres (PGlite) served on a local socket, so the same `pg` + drizzle code runs on it. */
export interface EmbeddedPostgres {
  url: string;
  db: PGlite;
  close(): Promise<void>;
}

/**
 * Starts PGlite with its files under `dataDir/pglite` and a pglite-socket
 * server on 127.0.0.1 (a free port). PGlite runs one query at a time;
 * pglite-socket queues the connections' queries, so `maxConnections` must
 * cover the pool, the LISTEN connection and a seed run.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger, maxConnections = 16): Promise<EmbeddedPostgres> {
  const directory = join(dataDir, "pglite");
  await mkdir(directory, { recursive: true });
  const started = performance.now();
  const db = await PGlite.create(directory);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  log.warn(
    { dataDir: directory, ms: Math.round(performance.now() - started) },
    "DATABASE_URL is unset: running an embedded PGlite database (one instance only; set DATABASE_URL for a cluster)",
  );
  return {
    url,
    db,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}
