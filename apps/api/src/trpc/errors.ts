import { TRPCError } from "@trpc/server";
import { LabBusyError, LabFireRefusedError } from "../lab/stampede.js";

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH"]);

/** Errors and their causes, outermost first (LoaderError wraps the database's error). */
function chain(error: unknown): unknown[] {
  const found: unknown[] = [];
  for (let current = error; current && found.length < 8; current = (current as { cause?: unknown }).cause) found.push(current);
  return found;
}

/** Whether a Postgres or Redis failure means "the dependency is unavailable" (503) rather than a bug. */
function isUnavailable(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? "");
  const message = String((error as { message?: unknown }).message ?? "");
  return (
    NETWORK_CODES.has(code) ||
    code.startsWith("08") || // connection exception
    code.startsWith("57P") || // admin shutdown, cannot connect now
    code.startsWith("53") || // insufficient resources (too many connections)
    code === "55000" || // database not accepting connections
    code === "3D000" || // database does not exist
    /timeout exceeded when trying to connect|Connection terminated|Query read timeout|not queryable|Connection is closed|Command timed out|enableOfflineQueue/i.test(
      message,
    )
  );
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
    const code = (link as { code?: unknown }).code;
    if (code === "E_INVALID_KEY") return new TRPCError({ code: "BAD_REQUEST", message: (link as Error).message, cause: link });
    if (code === "23505") {
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
