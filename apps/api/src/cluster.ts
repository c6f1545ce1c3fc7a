/**
 * `pnpm cluster --instances 3 [--entry-port 8080]`: N API instances as separate
 * processes on PORT..PORT+N-1 (same DATABASE_URL, Redis, CACHE_PREFIX and
 * ADMIN_TOKEN: one cluster) and a round-robin entry point in front of them.
 * Ctrl-C stops them all.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { InstanceProcesses } from "./cluster/instance-processes.js";
import { startRoundRobinProxy } from "./cluster/round-robin-proxy.js";
import { ConfigError, loadConfig } from "./config.js";

const { values } = parseArgs({
  options: { instances: { type: "string", default: "3" }, "entry-port": { type: "string", default: "8080" } },
});
const count = Number(values.instances);
const entryPort = Number(values["entry-port"]);
if (!Number.isInteger(count) || count < 1 || count > 16) fail("--instances: use a whole number from 1 to 16");
if (!Number.isInteger(entryPort) || entryPort < 0 || entryPort > 65_535) fail("--entry-port: use a port number (0 picks a free one)");

let config: ReturnType<typeof loadConfig>;
try {
  // A local tool: development, so a generated admin token (printed below) is allowed.
  config = loadConfig({ ...process.env, NODE_ENV: "development" });
} catch (error) {
  fail((error as Error).message, error instanceof ConfigError ? undefined : error);
}
if (config.port === 0) fail("PORT: give the first instance's port (instances use PORT..PORT+N-1)");
if (!config.databaseUrl) fail("DATABASE_URL is required (for a cluster on the embedded database, use pnpm dev)");
const adminToken = config.adminToken ?? randomBytes(18).toString("base64url");

const instances = new InstanceProcesses(
  Array.from({ length: count }, (_, i) => config.port + i),
  { ADMIN_TOKEN: adminToken, NODE_ENV: "development", PUBLIC_URL: undefined },
);
instances.start();

const entry = await startRoundRobinProxy({ port: entryPort, host: config.host, backends: () => instances.live() });
process.stdout.write(
  `\n  ${count} instances on ports ${config.port}..${config.port + count - 1}, round-robin entry point: ${entry.url}\n` +
    (config.adminToken ? "" : `  admin login: ${entry.url.replace("127.0.0.1", "localhost")}/#token=${adminToken}\n`) +
    "\n",
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await entry.close();
  await instances.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

function fail(message: string, cause?: unknown): never {
  console.error(message, cause ?? "");
  process.exit(1);
}
