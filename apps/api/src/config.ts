import { fileURLToPath } from "node:url";
import { z } from "zod";
import { tokenWeakness } from "./http/token-strength.js";

/** The package root (apps/api), whether running from src/ (tsx) or dist/ (node). */
export const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === "" ? undefined : value))
    .refine((value) => value === undefined || protocols.some((protocol) => value.startsWith(`${protocol}://`)), {
      message: `expected a URL starting with ${protocols.map((protocol) => `${protocol}://`).join(" or ")}`,
    });

/** Requests to /trpc per client and window when RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_MS are unset. */
export const DEFAULT_RATE_LIMIT = { max: 100, windowMs: 10_000 } as const;

/** A bearer token from the environment: unset or empty is undefined; a weak one is refused (see token-strength.ts). */
const optionalToken = z
  .string()
  .optional()
  .transform((value) => (value === "" ? undefined : value))
  .superRefine((value, context) => {
    const weakness = value === undefined ? undefined : tokenWeakness(value);
    if (weakness) context.addIssue({ code: "custom", message: weakness });
  });

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).optional(),
  DATABASE_URL: optionalUrl(["postgres", "postgresql"]),
  REDIS_URL: optionalUrl(["redis", "rediss"]),
  REDIS_CLUSTER_NODES: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value.split(",").map((node) => node.trim()) : undefined))
    .refine((nodes) => nodes === undefined || nodes.every((node) => /^[^\s:/]+:\d{1,5}$/.test(node)), {
      message: "expected host:port,host:port,... (seed nodes of a Redis Cluster)",
    }),
  REDIS_REPLICA_ACKS: z.coerce.number().int().min(0).max(16).default(0),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  ADMIN_TOKEN: optionalToken,
  METRICS_TOKEN: optionalToken,
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_RATE_LIMIT.max),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(DEFAULT_RATE_LIMIT.windowMs),
  TRUST_PROXY: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === "" ? undefined : value)),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(2_000),
  DB_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  CACHE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1-64 letters, digits, "_" or "-"')
    .default("hoard"),
  DATA_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL("../.data", import.meta.url))),
  PUBLIC_URL: optionalUrl(["http", "https"]),
  CACHE_READS: z.enum(["on", "off"]).default("on"),
  PROFILE_WRITE_POLICY: z.enum(["invalidate", "write-through"]).default("invalidate"),
  INSTANCES: z.coerce.number().int().min(1).max(16).optional(),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(["http", "https"]),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default("hoard-api"),
});

/** Everything the API reads from its environment, validated once at start. */
export interface Config {
  /** HTTP port; 0 picks a free one. @default 3000 */
  port: number;
  /** Interface to bind; unset binds every interface. */
  host: string | undefined;
  /** Postgres URL; unset runs an embedded PostgreSQL under `dataDir` (or uses the one `pnpm dev` runs there). */
  databaseUrl: string | undefined;
  /** Redis URL; unset tries `embeddedRedisProbeUrl`, then runs without Redis (L1 only, one instance). */
  redisUrl: string | undefined;
  /** Seed nodes (`host:port`) of a Redis Cluster; set, the cache uses an ioredis Cluster instead of `redisUrl`. */
  redisClusterNodes: string[] | undefined;
  /**
   * Replicas that must confirm each cache delete (the cache's `replicaAcks`): set it to 1 on a Redis with replicas,
   * so a failover cannot bring back a value a write removed. @default 0
   */
  redisReplicaAcks: number;
  /** Where the Redis probe looks when `REDIS_URL` is unset. @default "redis://127.0.0.1:6379" */
  embeddedRedisProbeUrl: string;
  /** `development` (set by `pnpm dev` and `pnpm cluster`) allows a generated admin token; anything else requires ADMIN_TOKEN. @default "production" */
  nodeEnv: "development" | "production" | "test";
  /** Bearer token for admin procedures and writes; unset (development only) makes one at start. */
  adminToken: string | undefined;
  /** Set: /metrics and the details of /readyz need `Authorization: Bearer <METRICS_TOKEN>` (or the admin token). Unset: they are public. */
  metricsToken: string | undefined;
  /** The HTTP server's limits (slow clients, idle sockets, file descriptors). */
  http: HttpLimits;
  /** Requests to /trpc per client (IP) and window; admin-token requests are exempt; 0 turns the limit off. @default { max: 100, windowMs: 10_000 } */
  rateLimit: { max: number; windowMs: number };
  /** Express's `trust proxy` (hops, or a list of addresses): set it behind a reverse proxy so clients are told apart by X-Forwarded-For. @default unset (the socket's address) */
  trustProxy: string | undefined;
  /** Delay added to every database load after the row is read, in ms. @default 0 */
  dbLatencyMs: number;
  /** pino level. @default "info" */
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Cache key prefix; instances of one cluster share it. @default "hoard" */
  cachePrefix: string;
  /** Where the embedded database keeps its files (and `pnpm dev` its admin token). @default apps/api/.data */
  dataDir: string;
  /** How other instances reach this one; unset means http://127.0.0.1:<port>. */
  publicUrl: string | undefined;
  /** `off` sends profile reads straight to Postgres (benchmarks measure what the cache saves). @default true */
  cacheReads: boolean;
  /**
   * What a profile update does to the cache (the `user` namespace's `writePolicy`): `invalidate`
   * deletes the entry, so the next read loads it from Postgres; `write-through` sets the updated row
   * with its row version (older versions refused), so the next read is a hit, and deletes it when
   * the set cannot land. @default "invalidate"
   */
  profileWritePolicy: "invalidate" | "write-through";
  /** How many API instances `pnpm dev` starts (`--instances` wins); unset: 3 when a Redis answers, else 1. */
  instances: number | undefined;
  /** `pretty`: human-readable logs (pino-pretty, a dev dependency: `pnpm dev` sets it); `json`: one JSON object a line. @default "json" */
  logFormat: "json" | "pretty";
  /** Set (OTEL_EXPORTER_OTLP_ENDPOINT): the OpenTelemetry SDK starts and sends traces over OTLP/HTTP; unset: no SDK, every span is a no-op. */
  telemetry: TelemetryConfig | undefined;
}

/** Where and as what the API sends its traces (OpenTelemetry, OTLP over HTTP). */
export interface TelemetryConfig {
  /** Base URL of the OTLP/HTTP receiver (a collector, Jaeger, Tempo...); traces go to `{endpoint}/v1/traces`. */
  endpoint: string;
  /** `service.name` of every span (OTEL_SERVICE_NAME). @default "hoard-api" */
  serviceName: string;
}

/** Limits of the HTTP server (node:http's own settings). */
export interface HttpLimits {
  /** Time a client has to send the whole request head; slower sockets are closed (408). @default 10_000 */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included. @default 30_000 */
  requestTimeoutMs: number;
  /** How long an idle keep-alive socket stays open after a response. @default 5_000 */
  keepAliveTimeoutMs: number;
  /** Open sockets at most; further connections are dropped at once. @default 2_000 */
  maxConnections: number;
}

/** This process's environment with `overrides` (undefined removes a variable), for the instances `pnpm cluster` starts. */
export function instanceEnvironment(overrides: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...overrides };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

/** Thrown when an environment variable is invalid; the message names it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates the environment. This is the only place that reads `process.env`. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  if (!e.ADMIN_TOKEN && e.NODE_ENV !== "development") {
    throw new ConfigError(
      "Invalid environment: ADMIN_TOKEN is required outside development (NODE_ENV is " +
        `${e.NODE_ENV}). Set ADMIN_TOKEN to a random secret of 16+ characters (e.g. \`openssl rand -hex 24\`), ` +
        "or run `pnpm dev` (NODE_ENV=development), which makes one and prints a login URL.",
    );
  }
  if (e.REDIS_CLUSTER_NODES && e.REDIS_URL) {
    throw new ConfigError(
      "Invalid environment: REDIS_CLUSTER_NODES: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both",
    );
  }
  return {
    port: e.PORT,
    cacheReads: e.CACHE_READS === "on",
    profileWritePolicy: e.PROFILE_WRITE_POLICY,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    redisReplicaAcks: e.REDIS_REPLICA_ACKS,
    embeddedRedisProbeUrl: "redis://127.0.0.1:6379",
    nodeEnv: e.NODE_ENV,
    adminToken: e.ADMIN_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS },
    trustProxy: e.TRUST_PROXY,
    dbLatencyMs: e.DB_LATENCY_MS,
    logLevel: e.LOG_LEVEL,
    cachePrefix: e.CACHE_PREFIX,
    dataDir: e.DATA_DIR,
    publicUrl: e.PUBLIC_URL,
    instances: e.INSTANCES,
    logFormat: e.LOG_FORMAT,
    telemetry: e.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME } : undefined,
  };
}
