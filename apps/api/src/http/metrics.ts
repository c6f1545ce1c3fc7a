import { performance } from "node:perf_hooks";
import type { RequestHandler } from "express";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { OutboxState } from "../db/outbox.js";

/** The Prometheus metrics of one API instance (one registry each, so tests can run several in a process). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: "hoard_http_request_duration_seconds",
    help: "HTTP request duration by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly dbQueryDuration = new Histogram({
    name: "hoard_db_query_duration_seconds",
    help: "Postgres query duration by operation (without the lab's artificial latency)",
    labelNames: ["operation"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly dbQueries = new Counter({
    name: "hoard_db_queries_total",
    help: "Postgres queries by operation and outcome",
    labelNames: ["operation", "outcome"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds the invalidation outbox's depth and oldest age, read from Postgres at scrape time. */
  watchOutbox(state: () => Promise<OutboxState>): void {
    let last: Promise<OutboxState | undefined> | undefined;
    // One query per scrape for both gauges.
    const read = () => {
      last ??= state()
        .catch(() => undefined)
        .finally(() => setImmediate(() => (last = undefined)));
      return last;
    };
    new Gauge({
      name: "hoard_outbox_depth",
      help: "Cache invalidations committed in Postgres and not yet acknowledged by Redis (rows of the outbox)",
      registers: [this.registry],
      async collect() {
        const current = await read();
        if (current) this.set(current.depth);
      },
    });
    new Gauge({
      name: "hoard_outbox_oldest_age_seconds",
      help: "Age of the oldest undelivered cache invalidation (0 when the outbox is empty)",
      registers: [this.registry],
      async collect() {
        const current = await read();
        if (current) this.set(current.oldestAgeMs / 1000);
      },
    });
  }

  /** Times a query and counts it, whether it succeeds or fails. */
  async timeQuery<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const stop = this.dbQueryDuration.startTimer({ operation });
    try {
      const result = await run();
      this.dbQueries.inc({ operation, outcome: "ok" });
      return result;
    } catch (error) {
      this.dbQueries.inc({ operation, outcome: "error" });
      throw error;
    } finally {
      stop();
    }
  }

  /**
   * Express middleware recording every request's duration once the response is sent. The histogram's
   * children (one per method, route and status) are kept, so a request costs a map lookup, not `labels()`.
   */
  httpMiddleware(procedures: ReadonlySet<string>): RequestHandler {
    const children = new Map<string, HttpDurationChild>();
    const childFor = (method: string, route: string, status: number): HttpDurationChild => {
      const key = `${method} ${route} ${status}`;
      let child = children.get(key);
      if (!child) {
        child = this.httpDuration.labels(method, route, String(status));
        children.set(key, child);
      }
      return child;
    };
    return (req, res, next) => {
      const startedAt = performance.now();
      // Read now: mounted routers rewrite req.url while they handle the request.
      const route = routeLabel(req.path, procedures);
      const method = KNOWN_METHODS.has(req.method) ? req.method : "(other)";
      res.on("finish", () => childFor(method, route, res.statusCode).observe((performance.now() - startedAt) / 1000));
      next();
    };
  }
}

/** One labelled series of the HTTP duration histogram. */
type HttpDurationChild = ReturnType<Histogram<"method" | "route" | "status">["labels"]>;

/** HTTP methods that get a label value of their own; every other one (node accepts PROPFIND, MKCOL…) shares "(other)". */
const KNOWN_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * A bounded label: the procedure for tRPC calls (only names the router has,
 * so unknown paths cannot grow the metric), "batch" for several, the path
 * for the few fixed routes.
 */
function routeLabel(path: string, procedures: ReadonlySet<string>): string {
  if (path.startsWith("/trpc/")) {
    const procedure = path.slice("/trpc/".length);
    return procedure.includes(",") ? "/trpc/(batch)" : procedures.has(procedure) ? `/trpc/${procedure}` : "/trpc/(other)";
  }
  return ["/healthz", "/readyz", "/metrics", "/"].includes(path) ? path : "(other)";
}
