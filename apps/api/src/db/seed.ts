/**
 * `pnpm db:seed --count N [--seed S] [--batch-size B]`: writes N deterministic
 * fake users to DATABASE_URL (or the embedded database: stop `pnpm dev` first,
 * PGlite's files can be open in one process only). Safe to re-run.
 */
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";
import { pino } from "pino";
import { loadConfig } from "../config.js";
import { createDatabaseClient } from "./client.js";
import { startEmbeddedPostgres } from "./embedded.js";
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

const config = loadConfig();
const log = pino({ level: config.logLevel === "info" ? "warn" : config.logLevel });
const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir, log);
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
