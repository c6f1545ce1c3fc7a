import type { CreateExpressContextOptions } from "@trpc/server/adapters/express";
import type { Logger } from "pino";
import type { Services } from "../services.js";

/** What every procedure receives. */
export interface Context {
  services: Services;
  isAdmin: boolean;
  /** The raw Authorization header, forwarded when a stampede is spread over other instances. */
  authorization: string | undefined;
  log: Logger;
}

/** Builds the per-request context (auth is checked here once, in constant time). */
export function contextFactory(services: Services) {
  return ({ req }: CreateExpressContextOptions): Context => {
    const authorization = req.headers.authorization;
    return {
      services,
      isAdmin: services.auth.allows(authorization),
      authorization,
      log: (req as { log?: Logger }).log ?? services.log,
    };
  };
}
