import { InvalidKeyError, LoaderError, LoaderTimeoutError } from "@hoard/cache";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { toTrpcError } from "../src/trpc/errors.js";

/** A Postgres error as node-postgres builds it from the server's answer (SQLSTATE in `code`). */
function databaseError(code: string, constraint?: string): pg.DatabaseError {
  const error = new pg.DatabaseError("server said no", 0, "error");
  error.code = code;
  if (constraint) error.constraint = constraint;
  return error;
}

describe("errors map to tRPC codes by class and code, never by a look-alike", () => {
  it("the cache's InvalidKeyError is BAD_REQUEST; an object that only carries its code string is not", () => {
    expect(toTrpcError(new InvalidKeyError("bad id")).code).toBe("BAD_REQUEST");
    expect(toTrpcError(Object.assign(new Error("x"), { code: "E_INVALID_KEY" })).code).toBe("INTERNAL_SERVER_ERROR");
  });

  it("a unique violation from Postgres is CONFLICT naming the field, also wrapped in a LoaderError", () => {
    const conflict = toTrpcError(databaseError("23505", "users_email_unique"));
    expect(conflict.code).toBe("CONFLICT");
    expect(conflict.message).toMatch(/email/);
    expect(toTrpcError(new LoaderError("load failed", { cause: databaseError("23505") })).code).toBe("CONFLICT");
    // A "23505" that is no Postgres error is not a conflict.
    expect(toTrpcError(Object.assign(new Error("x"), { code: "23505" })).code).toBe("INTERNAL_SERVER_ERROR");
  });

  it("an unavailable dependency is SERVICE_UNAVAILABLE: SQLSTATE class, errno code, the cache's timeouts", () => {
    expect(toTrpcError(new LoaderError("load failed", { cause: databaseError("57P01") })).code).toBe("SERVICE_UNAVAILABLE");
    expect(toTrpcError(Object.assign(new Error("connect"), { code: "ECONNREFUSED" })).code).toBe("SERVICE_UNAVAILABLE");
    expect(toTrpcError(new LoaderTimeoutError("the database did not answer in time")).code).toBe("SERVICE_UNAVAILABLE");
    expect(toTrpcError(new Error("Connection terminated unexpectedly")).code).toBe("SERVICE_UNAVAILABLE");
    // A bug whose message happens to mention a timeout stays a 500.
    expect(toTrpcError(new TypeError("Command timed out is not a function")).code).toBe("INTERNAL_SERVER_ERROR");
    expect(toTrpcError(databaseError("42P01")).code).toBe("INTERNAL_SERVER_ERROR");
  });
});
