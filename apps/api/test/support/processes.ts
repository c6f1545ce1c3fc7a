import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "@hoard/test-servers";
import { ADMIN_TOKEN } from "./client.js";
import { until } from "./poll.js";
import { REDIS_URL } from "./redis.js";

const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** An API instance running as a separate OS process. */
export interface ApiProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Spawns `src/server.ts` under tsx (so the suite does not depend on a fresh
 * build) with its own PORT on the given database and cache prefix.
 */
export async function spawnApi(options: { databaseUrl: string; prefix: string; env?: Record<string, string> }): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "src/server.ts"], {
    cwd: PACKAGE_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: options.databaseUrl,
      REDIS_URL,
      ADMIN_TOKEN,
      CACHE_PREFIX: options.prefix,
      LOG_LEVEL: "warn",
      // The suites' clients all come from 127.0.0.1: no per-client limit unless a test sets one.
      RATE_LIMIT_MAX: "0",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until an instance's /readyz answers 200 (or its process dies). */
export async function waitReady(api: ApiProcess, timeoutMs = 45_000): Promise<void> {
  await until(
    `${api.url} to be ready`,
    async () => {
      if (api.child.exitCode !== null) throw new Error(`process exited with ${api.child.exitCode}: ${api.output()}`);
      return (await fetch(`${api.url}/readyz`)).status === 200;
    },
    timeoutMs,
  );
}

/** Waits until an instance answers /healthz (it serves requests; Redis may still be unreachable). */
export async function waitListening(api: ApiProcess, timeoutMs = 45_000): Promise<void> {
  await until(
    `${api.url} to listen`,
    async () => {
      if (api.child.exitCode !== null) throw new Error(`process exited with ${api.child.exitCode}: ${api.output()}`);
      return (await fetch(`${api.url}/healthz`)).status === 200;
    },
    timeoutMs,
  );
}
