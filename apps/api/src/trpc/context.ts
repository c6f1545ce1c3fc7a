import type { CreateExpressContextOptions } from "@trpc/server/adapters/express";
import type { Logger } from "pino";
import { requestLog } from "../http/request-context.js";
import type { Services } from "../services.js";

/** What every procedure receives. */
export interface Context {
  services: Services;
  /** Whether the request carries the admin token (checked in constant time, the first time it is read). */
  isAdmin: boolean;
  /** The raw Authorization header, forwarded when a stampede is spread over other instances. */
  authorization: string | undefined;
  /** The request's logger (with its id), made the first time it is read. */
  log: Logger;
}

/**
 * Builds the per-request context. `isAdmin` and `log` are getters computed once on first use: a public
 * read that never asks pays for neither the token's SHA-256 nor a child logger.
 */
export function contextFactory(services: Services) {
  return ({ req }: CreateExpressContextOptions): Context => {
    const authorization = req.headers.authorization;
    let isAdmin: boolean | undefined;
    let log: Logger | undefined;
    return {
      services,
      authorization,
      get isAdmin() {
        isAdmin ??= services.auth.allows(authorization);
        return isAdmin;
      },
      get log() {
        log ??= requestLog(req, services.log);
        return log;
      },
    };
  };
}
