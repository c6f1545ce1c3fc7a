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
  const contexts = new RequestContexts(options);
  // One listener for every request (`this` is the response): no closure per request.
  function onClose(this: ServerResponse) {
    const req = this.req as IncomingMessage;
    const context = contextOf(req) as RequestContext;
    contexts.end(this, context, pathOf(req), performance.now() - context.startedAt);
  }
  return (req, res, next) => {
    contexts.start(req, res);
    res.on("close", onClose);
    next();
  };
}

/**
 * What `requestContext` does, in two calls, for a layer that does more per request (the API's request
 * entry): `start` when a request arrives, `end` once its response closed.
 */
export class RequestContexts {
  readonly #log: Logger;
  readonly #quiet: ReadonlySet<string>;
  readonly #slowMs: number;

  constructor(options: RequestContextOptions) {
    this.#log = options.log;
    this.#quiet = new Set(options.quietPaths ?? ["/healthz", "/readyz", "/metrics"]);
    this.#slowMs = options.slowMs ?? 1000;
  }

  /** Gives the request its id (sent back in `x-request-id`) and its context, started at `startedAt`. */
  start(req: IncomingMessage, res: ServerResponse, startedAt = performance.now()): RequestContext {
    const incoming = req.headers["x-request-id"];
    const id = typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", id);
    const context = new RequestContext(id, startedAt, this.#log);
    (req as WithContext)[CONTEXT] = context;
    return context;
  }

  /** Logs the request's line, when its level is on: `path` without the query string, `responseTime` in ms. */
  end(res: ServerResponse, context: RequestContext, path: string, responseTime: number): void {
    const aborted = !res.writableFinished;
    const status = res.statusCode;
    const level = status >= 500 ? "error" : status >= 400 || aborted || responseTime > this.#slowMs ? "warn" : "debug";
    // The usual case (a served request, debug off) ends here: no child logger, no line.
    if (!context.logs(level) || this.#quiet.has(path)) return;
    context.log[level](
      { req: { method: res.req.method, url: path }, res: { statusCode: status }, responseTime: Math.round(responseTime) },
      aborted ? "request aborted" : status >= 500 ? "request errored" : "request completed",
    );
  }
}

/** The request's path without its query string, as the client sent it (mounted routers rewrite `req.url`, not `originalUrl`). */
export function pathOf(req: IncomingMessage & { originalUrl?: string }): string {
  const url = req.originalUrl ?? req.url ?? "";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
