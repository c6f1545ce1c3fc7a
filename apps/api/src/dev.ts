/**
 * `pnpm dev [--instances N]`: the whole thing from a fresh clone. The embedded PostgreSQL in DATA_DIR
 * (unless DATABASE_URL is set), N API instances (3 when a Redis answers, else 1 with L1 only), and on
 * PORT one entry point: the admin UI from Vite with hot reload, API paths round-robin to the instances.
 * A change under apps/api/src or packages/cache/src restarts the instances one by one. Ctrl-C stops
 * everything, the database last, and exits 0.
 */
import { watch } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { redisAnswers } from "./cache/redis-connection.js";
import { InstanceProcesses, waitForReady } from "./cluster/instance-processes.js";
import { ConfigError, loadConfig, PACKAGE_ROOT } from "./config.js";
import { startEmbeddedPostgres } from "./db/embedded.js";
import { devAdminToken } from "./dev/admin-token.js";
import { startDevEntry } from "./dev/entry-server.js";
import { portIsFree } from "./dev/ports.js";

const startedAt = performance.now();

let config: ReturnType<typeof loadConfig>;
try {
  // `pnpm dev` is development by definition: a generated admin token is allowed (and kept in DATA_DIR).
  config = loadConfig({ ...process.env, NODE_ENV: "development" });
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const { values } = parseArgs({ options: { instances: { type: "string" } } });
const requested = values.instances === undefined ? config.instances : Number(values.instances);
if (requested !== undefined && !(Number.isInteger(requested) && requested >= 1 && requested <= 16)) {
  fail("--instances: use a whole number from 1 to 16");
}
if (config.port === 0) fail("PORT: give a port for the entry point (the instances use the next ones)");

// Every port first, in one line, before anything starts.
const redisUrl = config.redisUrl ?? config.embeddedRedisProbeUrl;
const hasRedis = config.redisClusterNodes !== undefined || (await redisAnswers(redisUrl));
const count = hasRedis ? (requested ?? 3) : 1;
const ports = Array.from({ length: count + 1 }, (_, i) => config.port + i);
for (const port of ports) {
  if (!(await portIsFree(port, config.host))) {
    fail(
      port === config.port
        ? `Port ${port} is already in use (another pnpm dev?): stop it, or run with PORT=<another port>.`
        : `Port ${port} (instance ${port - config.port} of ${count}) is already in use: stop what holds it, or run with PORT=<another port>.`,
    );
  }
}
if (!hasRedis && requested !== undefined && requested > 1) {
  process.stderr.write(`No Redis answers on ${redisUrl}: starting 1 instance, not ${requested} (instances share nothing without Redis).\n`);
}

const log = pino({
  level: config.logLevel,
  transport: { target: "pino-pretty", options: { ignore: "pid,hostname", translateTime: "HH:MM:ss.l" } },
});
const adminToken = config.adminToken ?? (await devAdminToken(config.dataDir));
// Owned here, so the instances (which find it through DATA_DIR) share it and it stops after them.
const database = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir, log);

const instances = new InstanceProcesses(
  ports.slice(1),
  {
    ADMIN_TOKEN: adminToken,
    NODE_ENV: "development",
    HOST: config.host ?? "127.0.0.1",
    PUBLIC_URL: undefined,
    LOG_FORMAT: "pretty",
    INSTANCES: undefined,
  },
  (port, code, signal) => log.warn({ port, code, signal }, "an instance exited; it restarts on the next source change"),
);
instances.start();
const entry = await startDevEntry({ port: config.port, host: config.host, backends: () => instances.live() });
const ready = await Promise.all(instances.ports.map((port) => waitForReady(`http://127.0.0.1:${port}`, 60_000)));
const loginUrl = `http://localhost:${config.port}/#token=${adminToken}`;
process.stdout.write(
  `\n  Hoard dev: ${entry.url.replace("127.0.0.1", "localhost")} — ${count} instance${count === 1 ? "" : "s"} (ports ${instances.ports.join(", ")}), ` +
    `${hasRedis ? "Redis" : "NO Redis (L1 only)"}, ${database ? "embedded PostgreSQL" : "DATABASE_URL"}; ` +
    `ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s${ready.every(Boolean) ? "" : " (some instances are not ready: see their logs)"}\n` +
    (config.adminToken ? "" : `  admin login (token kept in ${join(config.dataDir, "admin-token")}): ${loginUrl}\n`) +
    "\n",
);

// Restart the instances on a change to the API or the library (the UI reloads itself through Vite).
let restartTimer: NodeJS.Timeout | undefined;
let restarting: Promise<void> | undefined;
const watchers = [join(PACKAGE_ROOT, "src"), join(PACKAGE_ROOT, "..", "..", "packages", "cache", "src")].map((folder) =>
  watch(folder, { recursive: true }, () => {
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      restarting = (restarting ?? Promise.resolve()).then(async () => {
        log.info("source changed: restarting the instances one by one");
        await instances.restartRolling();
      });
    }, 300);
  }),
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping");
  clearTimeout(restartTimer);
  for (const watcher of watchers) watcher.close();
  await entry.close();
  await instances.stop();
  await database?.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
