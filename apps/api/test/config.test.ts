import { expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

it("applies the documented defaults", () => {
  const config = loadConfig({ NODE_ENV: "development" });
  expect(config).toMatchObject({
    nodeEnv: "development",
    metricsToken: undefined,
    rateLimit: { max: 100, windowMs: 10_000 },
    http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 2_000 },
    port: 3000,
    databaseUrl: undefined,
    redisUrl: undefined,
    adminToken: undefined,
    dbLatencyMs: 0,
    logLevel: "info",
    profileWritePolicy: "invalidate",
  });
  expect(loadConfig({ NODE_ENV: "development", PROFILE_WRITE_POLICY: "write-through" }).profileWritePolicy).toBe("write-through");
  expect(config.dataDir).toMatch(/apps\/api\/\.data$/);
});

it("fails at start with the name of the bad variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: "http" }, /PORT/],
    [{ DATABASE_URL: "mysql://x" }, /DATABASE_URL: expected a URL starting with postgres:\/\//],
    [{ REDIS_URL: "localhost:6379" }, /REDIS_URL/],
    [{ ADMIN_TOKEN: "short" }, /ADMIN_TOKEN: use at least 16 characters/],
    [{ DB_LATENCY_MS: "-1" }, /DB_LATENCY_MS/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL/],
    [{ PROFILE_WRITE_POLICY: "write-back" }, /PROFILE_WRITE_POLICY/],
    [{ REDIS_CLUSTER_NODES: "redis://a:1" }, /REDIS_CLUSTER_NODES: expected host:port/],
    [{ REDIS_CLUSTER_NODES: "a:1", REDIS_URL: "redis://b:2" }, /REDIS_CLUSTER_NODES: set either/],
  ];
  for (const [env, message] of cases.map(([env, message]) => [{ NODE_ENV: "development", ...env }, message] as const)) {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  }
});

it("NODE_ENV defaults to production, where ADMIN_TOKEN is required", () => {
  expect(() => loadConfig({})).toThrow(/ADMIN_TOKEN is required outside development/);
  expect(loadConfig({ ADMIN_TOKEN: "9f8e7d6c5b4a3210aa" }).nodeEnv).toBe("production");
});

it("reads REDIS_CLUSTER_NODES as a list of seed nodes", () => {
  expect(loadConfig({ NODE_ENV: "development", REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-2:7001" }).redisClusterNodes).toEqual([
    "10.0.0.1:7000",
    "redis-2:7001",
  ]);
  expect(loadConfig({ NODE_ENV: "development" }).redisClusterNodes).toBeUndefined();
});

it("starts no tracing unless OTEL_EXPORTER_OTLP_ENDPOINT is set; OTEL_SERVICE_NAME names the service", () => {
  expect(loadConfig({ NODE_ENV: "development" }).telemetry).toBeUndefined();
  expect(loadConfig({ NODE_ENV: "development", OTEL_EXPORTER_OTLP_ENDPOINT: "" }).telemetry).toBeUndefined();
  expect(loadConfig({ NODE_ENV: "development", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).telemetry).toEqual({
    endpoint: "http://collector:4318",
    serviceName: "hoard-api",
  });
  expect(
    loadConfig({ NODE_ENV: "development", OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com", OTEL_SERVICE_NAME: "api-eu" }).telemetry
      ?.serviceName,
  ).toBe("api-eu");
  expect(() => loadConfig({ NODE_ENV: "development", OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(
    /OTEL_EXPORTER_OTLP_ENDPOINT: expected a URL starting with http:\/\/ or https:\/\//,
  );
});
