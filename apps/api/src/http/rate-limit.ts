import type { Request, RequestHandler } from "express";
import { rateLimit, type Store } from "express-rate-limit";
import { Cluster } from "ioredis";
import type { Logger } from "pino";
import { RedisStore, type SendCommandClusterDetails } from "rate-limit-redis";
import type { AppRedis } from "../cache/redis-connection.js";
import { withTimeout } from "../timeout.js";

/** A store command that Redis has not answered in this long fails, and the request passes (fail open). */
export const STORE_TIMEOUT_MS = 250;

export interface RateLimitOptions {
  /** Requests per client and window; 0 turns the limiter off. */
  max: number;
  windowMs: number;
  /** The app's own Redis connection: the count is shared by every instance. Undefined: per-process memory. */
  redis: AppRedis | undefined;
  /** Key prefix, the cache prefix of the cluster. */
  prefix: string;
  /** Batches larger than this are refused by tRPC before any call runs (they cost 1 here). */
  maxBatchSize: number;
  /** Requests that carry the admin token are never limited (the admin UI polls several procedures). */
  isAdmin: (req: Request) => boolean;
  log: Logger;
}

/** Procedure calls in a tRPC request: `a,b,c` in the path of a batch. */
function callsIn(req: Request): number {
  return req.query.batch === "1" ? req.path.split(",").length : 1;
}

/** Profiles one `user.list` call may return per unit of cost: a page of 100 costs 10 single reads. */
const PROFILES_PER_UNIT = 10;

/**
 * What a request costs, in single reads: 1 per call, `user.list` ceil(limit / 10) (its default limit 20
 * costs 2, a page of 100 costs 10). Read from the GET input before tRPC parses it; an input that does
 * not parse costs 1 per call (tRPC then refuses it), a batch over `maxBatchSize` 1.
 */
export function costOf(req: Request, maxBatchSize = Number.POSITIVE_INFINITY): number {
  const batch = req.query.batch === "1";
  const paths = req.path.replace(/^\//, "").split(",");
  // Refused by tRPC before any call runs: cheap, counted once.
  if (paths.length > maxBatchSize) return 1;
  let inputs: unknown;
  try {
    inputs = typeof req.query.input === "string" ? JSON.parse(req.query.input) : undefined;
  } catch {
    inputs = undefined;
  }
  return paths.reduce((total, path, i) => {
    const input = batch ? (inputs as Record<string, unknown> | undefined)?.[String(i)] : inputs;
    if (path !== "user.list") return total + 1;
    const limit = (input as { limit?: unknown } | undefined)?.limit;
    const rows = typeof limit === "number" && Number.isFinite(limit) ? Math.min(Math.max(limit, 1), 100) : 20;
    return total + Math.ceil(rows / PROFILES_PER_UNIT);
  }, 0);
}

/**
 * Per-client rate limit on /trpc (express-rate-limit, keyed by the client's IP; IPv6 by /56). Over the limit:
 * 429 with `Retry-After`. A request costing c single reads (`costOf`: a batch counts each call, a page of
 * 100 users 10) is refused once the client has used more than max/c of its window, so batching or big
 * pages buy no more work than single reads (at most about 2 × max single reads a window in all).
 * When the store fails (Redis down or slow) the request passes: the limiter fails open and never 500s.
 */
export function rateLimiter(options: RateLimitOptions): RequestHandler {
  if (options.max === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: options.windowMs,
    limit: (req) => Math.max(1, Math.floor(options.max / costOf(req, options.maxBatchSize))),
    standardHeaders: "draft-7",
    legacyHeaders: false,
    skip: (req) => options.isAdmin(req),
    passOnStoreError: true,
    store: options.redis ? sharedStore(options.redis, `${options.prefix}:ratelimit:`, options.log) : undefined,
    logger: {
      error: (error: unknown, message: string) => options.log.warn({ err: error }, message),
      warn: (message: string) => options.log.warn(message),
    } as never,
    // Shaped like tRPC's own errors (one per call of a batch), so its clients read a TRPCClientError.
    handler: (req, res) => {
      const message = `Too many requests: retry after ${res.getHeader("retry-after") ?? "a few"} s.`;
      const error = { error: { message, code: -32029, data: { code: "TOO_MANY_REQUESTS", httpStatus: 429 } } };
      res.status(429).json(req.query.batch === "1" ? Array.from({ length: callsIn(req) }, () => error) : error);
    },
  });
}

/**
 * rate-limit-redis on the app's connection, each command bounded by STORE_TIMEOUT_MS. Its scripts are
 * loaded at start; if Redis was down then, they are loaded again at the next failure, so the limit comes
 * back with Redis. On a Cluster, SCRIPT LOAD goes to every master (EVALSHA runs where the key lives).
 */
function sharedStore(redis: AppRedis, prefix: string, log: Logger): Store {
  const send = async ({ key, command }: SendCommandClusterDetails): Promise<never> => {
    const [name, ...args] = command as [string, ...string[]];
    const run =
      redis instanceof Cluster && name === "SCRIPT"
        ? Promise.all(redis.nodes("master").map((node) => node.call(name, ...args))).then((answers) => answers[0])
        : redis.call(name, ...args);
    return (await withTimeout(run, STORE_TIMEOUT_MS, `rate limit store (${key})`)) as never;
  };
  const store = new RedisStore({ sendCommandCluster: send, prefix });
  const reload = () => {
    for (const field of ["incrementScriptSha", "getScriptSha"] as const) {
      const loading = field === "incrementScriptSha" ? store.loadIncrementScript() : store.loadGetScript();
      loading.catch(() => {});
      store[field] = loading;
    }
  };
  const increment = store.increment.bind(store);
  store.increment = async (key: string) => {
    try {
      return await increment(key);
    } catch (error) {
      log.debug({ err: error }, "rate limit store failed: request passes");
      reload();
      throw error;
    }
  };
  return store;
}
