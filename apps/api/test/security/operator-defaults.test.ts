import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { FaultProxy, freePort, OwnRedisServer } from "@hoard/test-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { RunningApi } from "../../src/start.js";
import { startTestApi } from "../support/api.js";
import { ADMIN_TOKEN, client, raw } from "../support/client.js";
import { createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from "../support/postgres.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "../support/redis.js";

// Points 9 to 13: safe defaults for operators.
const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
const METRICS_TOKEN = "metrics-scrape-9f8e7d6c5b4a";
let database: TestDatabase;
let api: RunningApi;
const prefix = uniquePrefix("operator");

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestApi({ databaseUrl: database.url, prefix, overrides: { metricsToken: METRICS_TOKEN } });
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
  await dropPrefix(prefix);
});

/** Runs `src/server.ts` with `env` (on top of PATH only) until it exits or `timeoutMs` passes; its exit code and output. */
function runServer(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "src/server.ts"], {
      cwd: PACKAGE_ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("point 9: security headers", () => {
  it("every response has a CSP with frame-ancestors, nosniff, X-Frame-Options and a Referrer-Policy", async () => {
    for (const path of ["/", "/healthz", "/trpc/user.byId?input=%7B%22id%22%3A1%7D", "/no-such-page"]) {
      const response = await fetch(`${api.url}${path}`);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("object-src 'none'");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
    }
  });
});

describe("point 10: docker-compose", () => {
  it("publishes Postgres and Redis on 127.0.0.1 only, with passwords from .env (defaults in .env.example), and the API uses them", async () => {
    const compose = await readFile(`${REPO_ROOT}/docker-compose.yml`, "utf8");
    const example = await readFile(`${REPO_ROOT}/.env.example`, "utf8");
    const published = [...compose.matchAll(/^\s+- "([^"]+)"\s*$/gm)].map((match) => match[1] as string).filter((p) => /\d+:\d+/.test(p));
    expect(published.length).toBeGreaterThanOrEqual(3);
    for (const port of published) expect(port, port).toMatch(/^(\$\{[A-Z_]+:-)?127\.0\.0\.1\}?:/);
    expect(compose).not.toMatch(/POSTGRES_HOST_AUTH_METHOD:\s*trust/);
    expect(compose).toMatch(/POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:-[^}]+\}/);
    expect(compose).toMatch(/--requirepass/);
    expect(example).toMatch(/^POSTGRES_PASSWORD=\S+/m);
    expect(example).toMatch(/^REDIS_PASSWORD=\S+/m);
    // The API's compose service reaches both with the passwords.
    expect(compose).toMatch(/DATABASE_URL: postgres:\/\/postgres:\$\{POSTGRES_PASSWORD/);
    expect(compose).toMatch(/REDIS_PASSWORD: \$\{REDIS_PASSWORD/);
  });
});

describe("point 11: the admin token", () => {
  it("outside development, no ADMIN_TOKEN refuses to start with a clear message and prints no token", async () => {
    const { code, output } = await runServer({
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      DATABASE_URL: database.url,
      REDIS_URL,
      CACHE_PREFIX: `${prefix}-nt`,
    });
    expect(code).toBe(1);
    expect(output).toMatch(/ADMIN_TOKEN is required outside development/);
    expect(output).not.toMatch(/#token=/);
  });

  it("weak tokens are refused: short, few different characters, placeholders", async () => {
    // The process refuses to start, naming the variable and why…
    const { code, output } = await runServer({
      PORT: "0",
      DATABASE_URL: database.url,
      ADMIN_TOKEN: "changeme-changeme-2024!",
      NODE_ENV: "development",
    });
    expect(code).toBe(1);
    expect(output).toMatch(/ADMIN_TOKEN: looks like a placeholder/);
    // …for each kind of weak token (the same check, without a process each).
    for (const [token, reason] of [
      ["short-token", /at least 16 characters/],
      ["aaaaaaaaaaaaaaaaaaaaaaaa", /different characters/],
      ["abababababababababababab", /different characters/],
      ["my-Password-1234567890", /placeholder/],
      ["0123456789abcdef 0123", /whitespace/],
    ] as const) {
      expect(() => loadConfig({ ADMIN_TOKEN: token }), token).toThrow(reason);
      expect(() => loadConfig({ ADMIN_TOKEN: "strong-9f8e7d6c5b4a3210", METRICS_TOKEN: token }), token).toThrow(/METRICS_TOKEN/);
    }
    expect(loadConfig({ ADMIN_TOKEN: "9f8e7d6c5b4a3210aa" }).adminToken).toBe("9f8e7d6c5b4a3210aa");
  });

  it("in development the login URL is printed as before", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "src/server.ts"], {
      cwd: PACKAGE_ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: database.url,
        REDIS_URL,
        CACHE_PREFIX: `${prefix}-dev`,
        NODE_ENV: "development",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    try {
      const { until } = await import("../support/poll.js");
      await until("the login URL", () => /#token=[A-Za-z0-9_-]{16,}/.test(output), 45_000);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }, 60_000);
});

describe("point 12: METRICS_TOKEN", () => {
  it("/metrics needs the metrics (or admin) token; /readyz shows only its status without; /healthz stays public", async () => {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${api.url}/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
    const scraped = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain("hoard_http_request_duration_seconds");
    expect((await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);

    const publicReady = await fetch(`${api.url}/readyz`);
    expect(publicReady.status).toBe(200);
    const publicBody = (await publicReady.json()) as Record<string, unknown>;
    expect(publicBody.status).toBe("ready");
    for (const detail of ["postgres", "redis", "outbox", "listener", "warnings", "instance"]) expect(publicBody).not.toHaveProperty(detail);
    const detailed = (await (await fetch(`${api.url}/readyz`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).json()) as Record<
      string,
      unknown
    >;
    expect(detailed).toMatchObject({ status: "ready", postgres: { state: "up" }, redis: { state: "up" } });
    expect(await (await fetch(`${api.url}/readyz`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()).toHaveProperty(
      "outbox",
    );
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
  });
});

describe("point 13: timeouts and a blind dashboard", () => {
  it("a hung database answers 503 within the README's 2 s query timeout (plus slack), not 5 s", async () => {
    const target = new URL(POSTGRES_ADMIN_URL);
    const proxy = await FaultProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(database.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const hung = await startTestApi({ databaseUrl: url.toString(), prefix: `${prefix}-hung` });
    try {
      // Warm the pool, then stop Postgres answering on every open connection (they stay open: a hang, not a reset).
      await Promise.all(Array.from({ length: 5 }, (_, i) => client(hung.url).user.byId.query({ id: 500 + i })));
      expect(proxy.stall()).toBeGreaterThan(0);
      const started = performance.now();
      const answer = await raw(hung.url, "user.byId", { input: { id: 777_001 } });
      const ms = performance.now() - started;
      expect(answer.status).toBe(503);
      expect(ms).toBeGreaterThan(1_500);
      expect(ms).toBeLessThan(4_000);
    } finally {
      await hung.close();
      await proxy.close();
      await dropPrefix(`${prefix}-hung`);
    }
  }, 30_000);

  it("cache.stats answers while Redis is down: L1, the breaker state, and that Redis is down", async () => {
    const own = await OwnRedisServer.start();
    const lonely = await startTestApi({ databaseUrl: database.url, prefix: `${prefix}-down`, overrides: { redisUrl: own.url } });
    try {
      const admin = client(lonely.url);
      await client(lonely.url, null).user.byId.query({ id: 1 });
      expect((await admin.cache.stats.query()).redis).toEqual({ state: "up", error: null });
      await own.stop();
      const { until } = await import("../support/poll.js");
      const stats = await until("stats while Redis is down", async () => {
        const answer = await admin.cache.stats.query();
        return answer.redis.state === "down" ? answer : undefined;
      });
      expect(stats.tiers.l1.enabled).toBe(true);
      expect(stats.tiers.l2).toHaveProperty("circuit");
      expect(stats.instances.map((instance) => instance.id)).toEqual([lonely.services.instance.id]);
      expect(JSON.stringify(stats.redis)).not.toMatch(/127\.0\.0\.1/);
    } finally {
      await lonely.close();
      await own.dispose();
    }
  });
});
