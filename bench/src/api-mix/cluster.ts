import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "@hoard/test-servers";
import { compiledScript, forkCompiled, waitForHttp } from "../fixtures.js";
import { processCpuMicros } from "../process-cpu.js";
import type { Strategy } from "./strategies.js";

/**
 * BENCH_PROFILE_DIR: each instance writes a V8 CPU profile there when it stops (`--cpu-prof`; Node refuses the
 * flag in NODE_OPTIONS), named after its strategy and port, to compare where the variants spend their CPU.
 */
function profileArgs(strategy: Strategy, port: number): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${strategy}-${port}-${Date.now()}.cpuprofile`] : [];
}

/** What every instance of every variant gets alike. */
export interface ClusterSettings {
  databaseUrl: string;
  redisUrl: string;
  adminToken: string;
  cachePrefix: string;
  dbLatencyMs: number;
  instances: number;
  /** Extra variables for every instance (e.g. one that turns the rate limiter off). */
  env?: Record<string, string>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(force);
}

/** N built API instances with one strategy, and the round-robin entry point in front of them (its own process). */
export class VariantCluster {
  private constructor(
    readonly strategy: Strategy,
    readonly instanceUrls: string[],
    readonly entryUrl: string,
    private readonly children: ChildProcess[],
  ) {}

  static async start(strategy: Strategy, settings: ClusterSettings): Promise<VariantCluster> {
    const instanceScript = compiledScript("api-mix/instance");
    const children: ChildProcess[] = [];
    try {
      const ports: number[] = [];
      for (let i = 0; i < settings.instances; i++) ports.push(await freePort(undefined, ports));
      for (const port of ports) {
        // No `source` condition: the instance runs the API from apps/api/dist, as `pnpm start` does.
        const child = spawn(process.execPath, [...profileArgs(strategy, port), instanceScript], {
          env: {
            ...process.env,
            ...settings.env,
            CACHE_STRATEGY: strategy,
            PORT: String(port),
            HOST: "127.0.0.1",
            DATABASE_URL: settings.databaseUrl,
            REDIS_URL: settings.redisUrl,
            ADMIN_TOKEN: settings.adminToken,
            CACHE_PREFIX: settings.cachePrefix,
            DB_LATENCY_MS: String(settings.dbLatencyMs),
            LOG_LEVEL: "warn",
            // The per-client rate limit (where the API has one) would throttle the load generator, one client.
            RATE_LIMIT_MAX: "0",
          },
          stdio: ["ignore", "ignore", "inherit"],
        });
        children.push(child);
      }
      const instanceUrls = ports.map((port) => `http://127.0.0.1:${port}`);
      // The entry point starts beside the instances (it only needs their addresses); requests go through it once all are ready.
      const entry = forkCompiled("api-mix/entry-point", [String(await freePort(undefined, ports)), ...instanceUrls]);
      children.push(entry);
      const listening = new Promise<{ url: string }>((resolve, reject) => {
        entry.once("message", (message) => resolve(message as { url: string }));
        entry.once("exit", (code) => reject(new Error(`the entry point exited (${code})`)));
      });
      const [{ url }] = await Promise.all([listening, ...instanceUrls.map((url) => waitForHttp(`${url}/readyz`))]);
      return new VariantCluster(strategy, instanceUrls, url, children);
    } catch (error) {
      await Promise.all(children.map(stopChild));
      throw error;
    }
  }

  /** CPU (user + system) the instances and the entry point have used so far, in µs (undefined where there is no /proc). */
  cpuMicros(): { instances: number | undefined; entryPoint: number | undefined } {
    const instances = this.children.slice(0, -1).map((child) => processCpuMicros(child.pid));
    return {
      instances: instances.some((micros) => micros === undefined) ? undefined : instances.reduce((a, b) => (a ?? 0) + (b ?? 0), 0),
      entryPoint: processCpuMicros(this.children.at(-1)?.pid),
    };
  }

  /** Postgres queries the instances made so far, by operation (their `hoard_db_queries_total`). */
  async databaseQueries(): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (const url of this.instanceUrls) {
      const text = await (await fetch(`${url}/metrics`)).text();
      for (const match of text.matchAll(/^hoard_db_queries_total\{operation="([^"]+)",outcome="[^"]+"\} (\S+)$/gm))
        totals.set(match[1] as string, (totals.get(match[1] as string) ?? 0) + Number(match[2]));
    }
    return totals;
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map(stopChild));
  }
}
