import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express, { type ErrorRequestHandler, type Express } from "express";
import { contextFactory } from "../trpc/context.js";
import { appRouter } from "../trpc/router.js";
import { adminUi } from "./admin-ui.js";
import { type HealthDependencies, healthRoutes } from "./health.js";
import { InternalsAccess } from "./internals-access.js";
import type { ApiMetrics } from "./metrics.js";
import { rateLimiter } from "./rate-limit.js";
import { requestLog } from "./request-context.js";
import { requestEntry } from "./request-entry.js";

/** Largest request body accepted on /trpc; larger ones get 413. */
export const MAX_BODY_BYTES = 100 * 1024;

/**
 * Most procedure calls in one tRPC batch (more: 400 before any runs). 10 covers what the admin UI
 * batches on one page (its dashboard polls 3 or 4 queries together) with room to spare, while one
 * request can no longer ask for 220 pages of users.
 */
export const MAX_BATCH_SIZE = 10;

/** The Express app: security headers, request ids and logs, metrics, /healthz, /readyz, /metrics, /trpc, then the admin UI. */
export function createApp(dependencies: HealthDependencies & { metrics: ApiMetrics }): Express {
  const { services, metrics } = dependencies;
  const app = express();
  app.disable("x-powered-by");
  if (services.config.trustProxy !== undefined) app.set("trust proxy", trustProxyValue(services.config.trustProxy));
  const access = new InternalsAccess(services.config.metricsToken, services.auth);
  app.use(requestEntry({ log: services.log, durations: metrics.httpDurations(Object.keys(appRouter._def.procedures)) }));
  // /trpc first: the hot path passes no other route's layer.
  // RATE_LIMIT_MAX=0: no limiter at all, not one that lets every request through.
  if (services.config.rateLimit.max > 0) {
    app.use(
      "/trpc",
      rateLimiter({
        ...services.config.rateLimit,
        maxBatchSize: MAX_BATCH_SIZE,
        redis: services.redis,
        prefix: services.config.cachePrefix,
        isAdmin: (req) => services.auth.allows(req.headers.authorization),
        log: services.log.child({ component: "rate-limit" }),
      }),
    );
  }
  const trpc = createExpressMiddleware({
    router: appRouter,
    createContext: contextFactory(services),
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: MAX_BATCH_SIZE,
  });
  app.use("/trpc", (req, res, next) => {
    // Refuse oversized bodies before reading them when the client says how big they are; tRPC's
    // maxBodySize catches the rest (chunked bodies) while streaming.
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      res.status(413).json({ error: { message: `Request body over ${MAX_BODY_BYTES} bytes.`, code: "PAYLOAD_TOO_LARGE" } });
      return;
    }
    trpc(req, res, next);
  });
  app.use(healthRoutes(dependencies, access));
  app.get("/metrics", async (req, res) => {
    if (!access.allows(req)) {
      res.status(401).json({ error: { message: "/metrics needs Authorization: Bearer <METRICS_TOKEN>.", code: "UNAUTHORIZED" } });
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(adminUi());
  app.use((_req, res) => {
    res.status(404).json({ error: { message: "Not found", code: "NOT_FOUND" } });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    requestLog(req, services.log).error({ err: error }, "unhandled request error");
    const status = typeof error?.status === "number" && error.status >= 400 && error.status < 600 ? error.status : 500;
    res.status(status).json({ error: { message: status >= 500 ? "Internal error" : String(error.message), code: status } });
  };
  app.use(onError);
  return app;
}

/** TRUST_PROXY as Express reads it: a hop count, true/false, or addresses and names ("loopback, 10.0.0.0/8"). */
function trustProxyValue(value: string): number | boolean | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (value === "true" || value === "false") return value === "true";
  return value;
}
