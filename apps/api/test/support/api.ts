import { afterAll, beforeAll } from "vitest";
import { type Config, loadConfig } from "../../src/config.js";
import { type RunningApi, startApi } from "../../src/start.js";
import { ADMIN_TOKEN } from "./client.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "./redis.js";

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

/** A suite's API instance on a database and a key prefix of its own, with their getters. */
export interface SuiteApi {
  readonly api: RunningApi;
  readonly database: TestDatabase;
  readonly prefix: string;
}

/**
 * Registers the usual suite setup: a fresh database, one API instance on it under a prefix
 * named after `suite`, and their removal (instance, database, prefix keys) after the suite.
 */
export function useTestApi(suite: string, overrides?: Partial<Config>): SuiteApi {
  const prefix = uniquePrefix(suite);
  let database: TestDatabase | undefined;
  let api: RunningApi | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startTestApi({ databaseUrl: database.url, prefix, ...(overrides ? { overrides } : {}) });
  });
  afterAll(async () => {
    await api?.close();
    await database?.drop();
    await dropPrefix(prefix);
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useTestApi("${suite}"): ${what} is read before the suite's beforeAll ran`);
    return value;
  };
  return {
    prefix,
    get api() {
      return started(api, "api");
    },
    get database() {
      return started(database, "database");
    },
  };
}
