import { ConnectionError, InvalidKeyError, LoaderTimeoutError, LockTimeoutError } from "@hoard/cache";
import { TRPCError } from "@trpc/server";
import pg from "pg";
import { LabBusyError, LabFireRefusedError } from "../lab/stampede.js";

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH"]);

/** Errors and their causes, outermost first (LoaderError wraps the database's error). */
function chain(error: unknown): unknown[] {
  const found: unknown[] = [];
  for (let current = error; current && found.length < 8; current = (current as { cause?: unknown }).cause) found.push(current);
  return found;
}

/** SQLSTATE classes that mean "Postgres cannot serve now", not a bug in the query. */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith("08") || // connection exception
    code.startsWith("57P") || // admin shutdown, cannot connect now
    code.startsWith("53") || // insufficient resources (too many connections)
    code === "55000" || // database not accepting connections
    code === "3D000" // database does not exist
  );
}

/**
 * Failures that node-postgres and ioredis report as a bare `Error`, with neither a class nor a code
 * to tell them by (pool connect timeout, connection ended, read timeout, client unusable; ioredis:
 * connection closed, command timed out, no offline queue). Matched on their exact texts, since
 * those libraries give nothing else; everything with a class or a code is told by that.
 */
const BARE_UNAVAILABLE_MESSAGES = [
  "timeout exceeded when trying to connect",
  "Connection terminated",
  "Query read timeout",
  "is not queryable",
  "Connection is closed",
  "Command timed out",
  "enableOfflineQueue options is false",
];

/** Whether a Postgres or Redis failure means "the dependency is unavailable" (503) rather than a bug. */
function isUnavailable(error: unknown): boolean {
  // The cache's own typed errors: Redis unreachable, a database load past its deadline, a lock wait past it.
  if (error instanceof ConnectionError || error instanceof LoaderTimeoutError || error instanceof LockTimeoutError) return true;
  if (error instanceof pg.DatabaseError) return isUnavailableSqlState(error.code ?? "");
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  if (error instanceof Error && error.constructor === Error) return BARE_UNAVAILABLE_MESSAGES.some((text) => error.message.includes(text));
  return false;
}

/** Friendly names of the unique constraints, for CONFLICT messages. */
const UNIQUE_FIELDS: Record<string, string> = { users_username_unique: "username", users_email_unique: "email" };

/**
 * Maps what a procedure threw to the right tRPC error: unique violations are
 * CONFLICT, unreachable dependencies SERVICE_UNAVAILABLE (HTTP 503), a busy
 * lab CONFLICT; anything else stays an INTERNAL_SERVER_ERROR.
 */
export function toTrpcError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  for (const link of chain(error)) {
    if (link instanceof LabBusyError) return new TRPCError({ code: "CONFLICT", message: link.message, cause: link });
    if (link instanceof LabFireRefusedError) return new TRPCError({ code: "FORBIDDEN", message: link.message, cause: link });
    if (link instanceof InvalidKeyError) return new TRPCError({ code: "BAD_REQUEST", message: link.message, cause: link });
    if (link instanceof pg.DatabaseError && link.code === "23505") {
      const field = UNIQUE_FIELDS[String((link as { constraint?: unknown }).constraint)] ?? "value";
      return new TRPCError({ code: "CONFLICT", message: `That ${field} is already taken.`, cause: link });
    }
    if (isUnavailable(link)) {
      // The cause (with its address: "connect ECONNREFUSED 10.0.0.5:5432") goes to the log, not to the client.
      return new TRPCError({
        code: "SERVICE_UNAVAILABLE",
        message: "A dependency (Postgres or Redis) is unavailable. Retry shortly; /readyz shows which.",
        cause: link,
      });
    }
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Internal error", cause: error });
}
