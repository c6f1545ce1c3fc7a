import { randomUUID } from "node:crypto";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express, { type ErrorRequestHandler, type Express } from "express";
import { pinoHttp } from "pino-http";
import { contextFactory } from "../trpc/context.js";
import { appRouter } from "../trpc/router.js";
import { adminUi } from "./admin-ui.js";
import { type HealthDependencies, healthRoutes } from "./health.js";
import { InternalsAccess } from "./internals-access.js";
import { logSerializers } from "./log-redaction.js";
import type { ApiMetrics } from "./metrics.js";
import { rateLimiter } from "./rate-limit.js";
import { securityHeaders } from "./security-headers.js";

/** Largest request body accepted on /trpc; larger ones get 413. */
export const MAX_BODY_BYTES = 100 * 1024;

/**
 * Most procedure calls in one tRPC batch (more: 400 before any runs). 10 covers what the admin UI
 * batches on one page (its dashboard polls 3 or 4 queries together) with room to spare, while one
 * request can no longer ask for 220 pages of users.
 */
export const MAX_BATCH_SIZE = 10;

/** The Express app: logs and metrics, /healthz, /readyz, /metrics, /trpc, then the admin UI. */
export function createApp(dependencies: HealthDependencies & { metrics: ApiMetrics }): Express {
  const { services, metrics } = dependencies;
  const app = express();
  app.disable("x-powered-by");
  if (services.config.trustProxy !== undefined) app.set("trust proxy", trustProxyValue(services.config.trustProxy));
  const access = new InternalsAccess(services.config.metricsToken, services.auth);
  app.use(securityHeaders());
  app.use(
    pinoHttp({
      logger: services.log,
      genReqId: (req, res) => {
        const incoming = req.headers["x-request-id"];
        const id = typeof incoming === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader("x-request-id", id);
        return id;
      },
      // Compact request lines; headers are left out (the Authorization header must never be logged).
      // The path only: a query string (tRPC inputs) may carry anything a client sent.
      serializers: {
        ...logSerializers,
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.split("?")[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // Probes and scrapes are frequent and say nothing; failures still log.
      autoLogging: { ignore: (req) => ["/healthz", "/readyz", "/metrics"].includes((req.url ?? "").split("?")[0] as string) },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
    }),
  );
  app.use(metrics.httpMiddleware(new Set(Object.keys(appRouter._def.procedures))));
  app.use(healthRoutes(dependencies, access));
  app.get("/metrics", async (req, res) => {
    if (!access.allows(req)) {
      res.status(401).json({ error: { message: "/metrics needs Authorization: Bearer <METRICS_TOKEN>.", code: "UNAUTHORIZED" } });
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
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
  // Refuse oversized bodies before reading them when the client says how big they are; tRPC's
  // maxBodySize catches the rest (chunked bodies) while streaming.
  app.use("/trpc", (req, res, next) => {
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      res.status(413).json({ error: { message: `Request body over ${MAX_BODY_BYTES} bytes.`, code: "PAYLOAD_TOO_LARGE" } });
      return;
    }
    next();
  });
  app.use(
    "/trpc",
    createExpressMiddleware({
      router: appRouter,
      createContext: contextFactory(services),
      maxBodySize: MAX_BODY_BYTES,
      maxBatchSize: MAX_BATCH_SIZE,
    }),
  );
  app.use(adminUi());
  app.use((_req, res) => {
    res.status(404).json({ error: { message: "Not found", code: "NOT_FOUND" } });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    req.log?.error({ err: error }, "unhandled request error");
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
