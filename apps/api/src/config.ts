import { fileURLToPath } from "node:url";
import { z } from "zod";

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
  ADMIN_TOKEN: z
    .string()
    .optional()
    .transform((value) => (value === "" ? undefined : value))
    .refine((value) => value === undefined || value.length >= 16, { message: "use at least 16 characters" }),
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
  INSTANCES: z.coerce.number().int().min(1).max(16).optional(),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
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
  /** Where the Redis probe looks when `REDIS_URL` is unset. @default "redis://127.0.0.1:6379" */
  embeddedRedisProbeUrl: string;
  /** Bearer token for admin procedures and writes; unset makes one at start. */
  adminToken: string | undefined;
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
  /** How many API instances `pnpm dev` starts (`--instances` wins); unset: 3 when a Redis answers, else 1. */
  instances: number | undefined;
  /** `pretty`: human-readable logs (pino-pretty, a dev dependency: `pnpm dev` sets it); `json`: one JSON object a line. @default "json" */
  logFormat: "json" | "pretty";
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
  if (e.REDIS_CLUSTER_NODES && e.REDIS_URL) {
    throw new ConfigError(
      "Invalid environment: REDIS_CLUSTER_NODES: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both",
    );
  }
  return {
    port: e.PORT,
    cacheReads: e.CACHE_READS === "on",
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    embeddedRedisProbeUrl: "redis://127.0.0.1:6379",
    adminToken: e.ADMIN_TOKEN,
    dbLatencyMs: e.DB_LATENCY_MS,
    logLevel: e.LOG_LEVEL,
    cachePrefix: e.CACHE_PREFIX,
    dataDir: e.DATA_DIR,
    publicUrl: e.PUBLIC_URL,
    instances: e.INSTANCES,
    logFormat: e.LOG_FORMAT,
  };
}
