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

  /** The HTTP duration histogram's recorder, with route labels for these tRPC procedure names (`user.byId`...). */
  httpDurations(procedures: Iterable<string>): HttpDurations {
    return new HttpDurations(this.httpDuration, procedures);
  }
}

/**
 * Records request durations in `hoard_http_request_duration_seconds`. The labelled children (one per
 * method, route and status) are kept and the known paths' route labels precomputed, so a request
 * costs two map lookups, not `labels()`.
 */
export class HttpDurations {
  readonly #histogram: Histogram<"method" | "route" | "status">;
  readonly #procedures: ReadonlySet<string>;
  readonly #routes = new Map<string, string>();
  readonly #children = new Map<string, HttpDurationChild>();

  constructor(histogram: Histogram<"method" | "route" | "status">, procedures: Iterable<string>) {
    this.#histogram = histogram;
    this.#procedures = new Set(procedures);
    for (const path of FIXED_ROUTES) this.#routes.set(path, path);
    for (const procedure of this.#procedures) this.#routes.set(`/trpc/${procedure}`, `/trpc/${procedure}`);
  }

  /** One finished request: `path` without the query string (as the client sent it), `seconds` since it arrived. */
  observe(method: string, path: string, status: number, seconds: number): void {
    const route = this.#routes.get(path) ?? routeLabel(path, this.#procedures);
    const methodLabel = KNOWN_METHODS.has(method) ? method : "(other)";
    const key = `${methodLabel} ${route} ${status}`;
    let child = this.#children.get(key);
    if (!child) {
      child = this.#histogram.labels(methodLabel, route, String(status));
      this.#children.set(key, child);
    }
    child.observe(seconds);
  }
}

/** One labelled series of the HTTP duration histogram. */
type HttpDurationChild = ReturnType<Histogram<"method" | "route" | "status">["labels"]>;

/** HTTP methods that get a label value of their own; every other one (node accepts PROPFIND, MKCOL…) shares "(other)". */
const KNOWN_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The routes outside /trpc that get a label of their own. */
const FIXED_ROUTES: readonly string[] = ["/healthz", "/readyz", "/metrics", "/"];

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
  return FIXED_ROUTES.includes(path) ? path : "(other)";
}
