/**
 * A process that owns an embedded PostgreSQL in DATA_DIR (argv[2]), writes one row, prints "ready" and
 * waits: a test SIGKILLs it to leave the server and its postmaster.pid behind, as a killed `pnpm dev` does.
 */
import pg from "pg";
import { pino } from "pino";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";

const embedded = await startEmbeddedPostgres(process.argv[2] as string, pino({ level: "silent" }));
const client = new pg.Client(embedded.url);
await client.connect();
await client.query("CREATE TABLE IF NOT EXISTS survivors (name text)");
await client.query("INSERT INTO survivors VALUES ('before the kill')");
await client.end();
process.stdout.write("ready\n");
setInterval(() => {}, 60_000);
