import { existsSync } from "node:fs";
import { chromium, defineConfig } from "@playwright/test";
import { baseURL, databaseUrl, E2E } from "./e2e/support/env.js";

/**
 * End-to-end tests of the admin UI against the built API (`pnpm build` first), two
 * instances on real Postgres and Redis. Playwright's own Chromium when it is
 * installed, else Debian's (`apt-get install chromium`) with flags that keep it
 * quiet on a closed network.
 */
const bundledChromium = (() => {
  try {
    const path = chromium.executablePath();
    return existsSync(path) ? path : undefined;
  } catch {
    // No browser registry entry at all: fall back to the system one below.
    return undefined;
  }
})();
const systemChromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const launchOptions = bundledChromium
  ? {}
  : {
      executablePath: systemChromium,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    };

const apiEnv = (port: number) => ({
  PORT: String(port),
  HOST: "127.0.0.1",
  DATABASE_URL: databaseUrl,
  REDIS_URL: E2E.redisUrl,
  ADMIN_TOKEN: E2E.adminToken,
  // Restricted internals, as an operator would run them: the dashboard reads /readyz with the admin token.
  METRICS_TOKEN: E2E.metricsToken,
  CACHE_PREFIX: E2E.cachePrefix,
  DB_LATENCY_MS: "0",
  LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "warn",
});

export default defineConfig({
  testDir: "./e2e",
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  // One cluster for the whole run: the lab takes a cluster-wide lock and the dashboard reads global counters.
  workers: 1,
  fullyParallel: false,
  timeout: 30_000,
  expect: { timeout: 7_000 },
  reporter: process.env.CI ? [["list"], ["html", { open: "never" }]] : [["list"]],
  use: {
    baseURL,
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions,
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: E2E.ports.map((port, index) => ({
    // The first server resets the e2e database and key prefix. Both run what `pnpm --filter @hoard/api start` runs
    // (the built API; nothing is built here), without pnpm in between, which reports the SIGTERM at the end as a failure.
    command: `${index === 0 ? "tsx e2e/support/prepare-services.ts && " : ""}node apps/api/dist/server.js`,
    url: `http://127.0.0.1:${port}/readyz`,
    env: apiEnv(port),
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
  })),
});
