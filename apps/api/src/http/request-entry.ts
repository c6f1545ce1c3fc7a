import type { ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import type { HttpDurations } from "./metrics.js";
import { contextOf, pathOf, type RequestContext, RequestContexts } from "./request-context.js";
import { securityHeaderSetter } from "./security-headers.js";

export interface RequestEntryOptions {
  /** The app's logger, for the request lines (see `requestContext`). */
  log: Logger;
  /** Where every finished request's duration goes (`hoard_http_request_duration_seconds`). */
  durations: HttpDurations;
}

/**
 * The one Express layer every request passes first: the security headers, the request id and its
 * end-of-request log line (`requestContext`), and the duration metric. One layer rather than three
 * saves the router's dispatch of two; one shared `close` listener (`this` is the response) records
 * the metric and the log line, with no closure made per request.
 */
export function requestEntry(options: RequestEntryOptions): RequestHandler {
  const { durations } = options;
  const setSecurityHeaders = securityHeaderSetter();
  const contexts = new RequestContexts({ log: options.log });
  function onClose(this: ServerResponse) {
    const req = this.req as Request;
    const context = contextOf(req) as RequestContext;
    const responseTime = performance.now() - context.startedAt;
    const path = pathOf(req);
    // An aborted response (the client left first) has no duration to record: it is logged only.
    if (this.writableFinished) durations.observe(req.method, path, this.statusCode, responseTime / 1000);
    contexts.end(this, context, path, responseTime);
  }
  return (req, res, next) => {
    setSecurityHeaders(res);
    contexts.start(req, res);
    res.on("close", onClose);
    next();
  };
}
