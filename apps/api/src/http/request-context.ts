import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { RequestHandler } from "express";
import type { Logger } from "pino";

/** Request ids taken from a client's `x-request-id`: a safe token, nothing that could forge a log line. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface RequestContextOptions {
  /** The app's logger; each request's lines come from a child of it that carries `reqId`. */
  log: Logger;
  /**
   * Paths (without the query string) whose requests are never logged: probes and scrapes are frequent and say nothing.
   * @default ["/healthz", "/readyz", "/metrics"]
   */
  quietPaths?: readonly string[];
  /**
   * A request that takes longer than this is logged at warn however it ended.
   * @default 1000
   */
  slowMs?: number;
}

/** The id and logger of one request, made by `requestContext`. */
export class RequestContext {
  readonly #base: Logger;
  #log: Logger | undefined;

  constructor(
    /** The request's id: the client's `x-request-id` when it is a safe token, else a random UUID. Sent back in `x-request-id`. */
    readonly id: string,
    /** `performance.now()` when the request arrived. */
    readonly startedAt: number,
    base: Logger,
  ) {
    this.#base = base;
  }

  /** The request's logger (a child with `reqId`), made the first time it is asked for. */
  get log(): Logger {
    this.#log ??= this.#base.child({ reqId: this.id });
    return this.#log;
  }

  /** Whether a line at `level` would be written (asked of the parent, so no child is made to find out). */
  logs(level: "error" | "warn" | "debug"): boolean {
    return this.#base.isLevelEnabled(level);
  }
}

const CONTEXT = Symbol("hoard.requestContext");
type WithContext = IncomingMessage & { [CONTEXT]?: RequestContext };

/** The context `requestContext` gave this request; undefined before it ran (or without it). */
export function contextOf(req: IncomingMessage): RequestContext | undefined {
  return (req as WithContext)[CONTEXT];
}

/** The request's logger, or `fallback` when the request has no context. */
export function requestLog(req: IncomingMessage, fallback: Logger): Logger {
  return contextOf(req)?.log ?? fallback;
}

/**
 * Gives every request an id (from and to `x-request-id`) and logs one line when it ends, as cheaply as
 * it can on the hot path: nothing is serialized and no child logger is made unless a line is written.
 * Levels: 5xx `error`, 4xx, aborted or slow (`slowMs`) `warn`, other requests `debug` (so at the usual
 * `info` a served request costs no log line). The line carries the method, the path (never the query
 * string: tRPC inputs may hold anything a client sent), the status and `responseTime` in ms.
 */
export function requestContext(options: RequestContextOptions): RequestHandler {
  const { log } = options;
  const quiet = new Set(options.quietPaths ?? ["/healthz", "/readyz", "/metrics"]);
  const slowMs = options.slowMs ?? 1000;
  return (req, res, next) => {
    const incoming = req.headers["x-request-id"];
    const id = typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", id);
    const context = new RequestContext(id, performance.now(), log);
    (req as WithContext)[CONTEXT] = context;
    res.on("close", () => logEnd(req, res, context, quiet, slowMs));
    next();
  };
}

function logEnd(
  req: IncomingMessage & { originalUrl?: string },
  res: ServerResponse,
  context: RequestContext,
  quiet: ReadonlySet<string>,
  slowMs: number,
) {
  const responseTime = performance.now() - context.startedAt;
  const aborted = !res.writableFinished;
  const status = res.statusCode;
  const level = status >= 500 ? "error" : status >= 400 || aborted || responseTime > slowMs ? "warn" : "debug";
  // The usual case (a served request, debug off) ends here: no path, no child logger, no line.
  if (!context.logs(level)) return;
  // originalUrl: mounted routers rewrite req.url while they handle the request.
  const path = (req.originalUrl ?? req.url ?? "").split("?", 1)[0] as string;
  if (quiet.has(path)) return;
  context.log[level](
    { req: { method: req.method, url: path }, res: { statusCode: status }, responseTime: Math.round(responseTime) },
    aborted ? "request aborted" : status >= 500 ? "request errored" : "request completed",
  );
}
