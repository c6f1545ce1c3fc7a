/**
 * `pnpm db:seed --count N [--seed S] [--batch-size B]`: writes N deterministic
 * fake users to DATABASE_URL, or to the embedded PostgreSQL of DATA_DIR: the one
 * `pnpm dev` runs if it runs (found through DATA_DIR/postgres.json), else one
 * started for the seed and stopped after. Safe to re-run, and safe while
 * `pnpm dev` runs (a real PostgreSQL: concurrent clients, nothing lost).
 */
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";
import { pino } from "pino";
import { loadConfig } from "../config.js";
import { createDatabaseClient } from "./client.js";
import { EmbeddedPostgresError, startEmbeddedPostgres } from "./embedded.js";
import { migrateWithLock } from "./migrate.js";
import { seedUsers } from "./seed-users.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "1000" },
    seed: { type: "string", default: "42" },
    "batch-size": { type: "string", default: "1000" },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const batchSize = Number(values["batch-size"]);
for (const [name, value] of [
  ["--count", count],
  ["--seed", seed],
  ["--batch-size", batchSize],
] as const) {
  if (!Number.isInteger(value) || value < (name === "--seed" ? 0 : 1)) {
    console.error(`${name} must be a ${name === "--seed" ? "non-negative" : "positive"} integer.`);
    process.exit(1);
  }
}

// Seeding serves nothing and needs no admin token: read the rest of the environment as development does.
const config = loadConfig({ ...process.env, NODE_ENV: "development" });
const log = pino({ level: config.logLevel === "info" ? "warn" : config.logLevel });
let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
try {
  embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir, log);
} catch (error) {
  // E.g. another process is starting the same data dir right now: refuse rather than touch its files.
  console.error(`Cannot reach or start the embedded PostgreSQL in ${config.dataDir}: ${(error as Error).message}`);
  console.error(error instanceof EmbeddedPostgresError ? "Nothing was written." : error);
  process.exit(1);
}
if (embedded && !embedded.owner) console.log(`Seeding the embedded PostgreSQL that pnpm dev runs (port ${embedded.port}).`);
const database = createDatabaseClient(config.databaseUrl ?? (embedded?.url as string), log, { max: 2 });
try {
  await migrateWithLock(database.pool, log);
  const bar = new SingleBar({ format: "seeding users [{bar}] {value}/{total} {percentage}% | eta {eta}s" });
  bar.start(count, 0);
  const inserted = await seedUsers(database.db, { count, seed, batchSize, onProgress: (done) => bar.update(done) });
  bar.stop();
  console.log(`${inserted} users inserted, ${count - inserted} already there (seed ${seed}).`);
} finally {
  await database.close();
  await embedded?.close();
}
