import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { E2E } from "./env.js";
import { dropDatabase, dropKeys, recreateDatabase } from "./reset.js";

/**
 * A cluster of its own for a spec that stops and starts instances: built API
 * processes (`node apps/api/dist/server.js`) on `E2E_PORT + 10 + i`, with their
 * own database and key prefix, so the suite's shared two instances never see
 * them. `close()` stops every process and drops the database and the keys.
 */
export interface OwnCluster {
  readonly name: string;
  readonly prefix: string;
  /** Port of each instance slot (fixed across restarts). */
  readonly ports: number[];
  urlOf(slot: number): string;
  /** What slot `slot`'s current process printed (stdout and stderr). */
  output(slot: number): string;
  /** Starts the instance in `slot` and waits for its /readyz. */
  start(slot: number): Promise<void>;
  /** Stops it: SIGTERM (a clean shutdown) or SIGKILL (a crash: its heartbeat lingers for its TTL). */
  stop(slot: number, signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** A Redis client for looking at the cluster's keys (closed by `close()`). */
  readonly redis: Redis;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`instance at ${url} exited (${child.exitCode}): ${output()}`);
    const ok = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100)); // poll interval
  }
  throw new Error(`instance at ${url} not ready within ${timeoutMs} ms: ${output()}`);
}

/**
 * Creates the database and starts `count` instances. `name` tells the clusters of different specs apart (letters and
 * digits); `env` adds variables to every instance's environment (e.g. `PROFILE_WRITE_POLICY`).
 */
export async function startOwnCluster(name: string, count: number, slotOffset = 10, env: Record<string, string> = {}): Promise<OwnCluster> {
  const database = `${E2E.database}_${name}`;
  const prefix = `${E2E.cachePrefix}-${name}`;
  const ports = Array.from({ length: count }, (_, slot) => E2E.ports[0] + slotOffset + slot);
  const redis = new Redis(E2E.redisUrl, { maxRetriesPerRequest: 1 });
  await recreateDatabase(database);
  await dropKeys(redis, prefix);
  const children: (ChildProcess | undefined)[] = [];
  const outputs: string[] = [];
  const urlOf = (slot: number) => `http://127.0.0.1:${ports[slot]}`;

  const cluster: OwnCluster = {
    name,
    prefix,
    ports,
    redis,
    urlOf,
    output: (slot) => outputs[slot] ?? "",
    async start(slot) {
      outputs[slot] = "";
      const child = spawn(process.execPath, ["apps/api/dist/server.js"], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(ports[slot]),
          HOST: "127.0.0.1",
          DATABASE_URL: E2E.postgresAdminUrl.replace(/\/[^/]*$/, `/${database}`),
          REDIS_URL: E2E.redisUrl,
          ADMIN_TOKEN: E2E.adminToken,
          CACHE_PREFIX: prefix,
          DB_LATENCY_MS: "0",
          LOG_LEVEL: "info",
          LOG_FORMAT: "json",
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout?.on("data", (chunk) => (outputs[slot] += chunk));
      child.stderr?.on("data", (chunk) => (outputs[slot] += chunk));
      children[slot] = child;
      await waitReady(urlOf(slot), child, () => outputs[slot] ?? "");
    },
    async stop(slot, signal = "SIGTERM") {
      const child = children[slot];
      children[slot] = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill(signal);
      await exited;
    },
    async close() {
      await Promise.all(ports.map((_, slot) => cluster.stop(slot, "SIGTERM")));
      await dropKeys(redis, prefix);
      redis.disconnect();
      await dropDatabase(database);
    },
  };
  try {
    // One after the other: the first applies the migrations (the others would wait on its advisory lock anyway).
    for (let slot = 0; slot < count; slot++) await cluster.start(slot);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}
