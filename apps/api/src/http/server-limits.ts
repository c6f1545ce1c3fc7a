import { createServer, type RequestListener, type Server } from "node:http";
import type { HttpLimits } from "../config.js";

/** How often node:http checks the headers and request timeouts (its default, 30 s, would let a slow socket live 40 s). */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/**
 * An HTTP server with bounded work per socket: the request head within `headersTimeoutMs`, the whole
 * request within `requestTimeoutMs` (else 408 and the socket is closed), idle keep-alive sockets closed
 * after `keepAliveTimeoutMs`, and at most `maxConnections` sockets (further ones are dropped at once,
 * so a flood of sockets cannot take the file descriptors Postgres and Redis need).
 */
export function createLimitedServer(handler: RequestListener, limits: HttpLimits): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}
