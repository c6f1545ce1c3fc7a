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
  /** Requests that carry the admin token are never limited (the admin UI polls several procedures). */
  isAdmin: (req: Request) => boolean;
  log: Logger;
}

/** Procedure calls in a tRPC request: `a,b,c` in the path of a batch. */
function callsIn(req: Request): number {
  return req.query.batch === "1" ? req.path.split(",").length : 1;
}

/**
 * Per-client rate limit on /trpc (express-rate-limit, keyed by the client's IP; IPv6 by /56). Over the limit:
 * 429 with `Retry-After`. A batch of n calls is refused once the client has used more than max/n of the
 * window, so batching buys no more work than single calls (at most 2 × max calls a window in all).
 * When the store fails (Redis down or slow) the request passes: the limiter fails open and never 500s.
 */
export function rateLimiter(options: RateLimitOptions): RequestHandler {
  if (options.max === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: options.windowMs,
    limit: (req) => Math.max(1, Math.floor(options.max / callsIn(req))),
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
