import { type Config, loadConfig } from "../../src/config.js";
import { type RunningApi, startApi } from "../../src/start.js";
import { ADMIN_TOKEN } from "./client.js";
import { REDIS_URL } from "./redis.js";

/**
 * Starts an API instance in this process on a free port against the given database and prefix. The
 * per-client rate limit is off (the suites' clients all come from 127.0.0.1) unless `overrides.rateLimit` sets it.
 */
export function startTestApi(options: { databaseUrl: string; prefix: string; overrides?: Partial<Config> }): Promise<RunningApi> {
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: options.databaseUrl,
    REDIS_URL,
    ADMIN_TOKEN,
    CACHE_PREFIX: options.prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
  });
  return startApi({ ...config, rateLimit: { ...config.rateLimit, max: 0 }, ...options.overrides });
}
