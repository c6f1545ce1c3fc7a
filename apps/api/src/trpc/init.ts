import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { withoutAddresses } from "../http/public-errors.js";
import type { Context } from "./context.js";
import { toTrpcError } from "./errors.js";
import { traceProcedure, tracingActive } from "./tracing.js";

/** "limit: Too big: expected number to be <=100; id: ..." from a zod error. */
function describeZodError(error: ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "input"}: ${issue.message}`).join("; ");
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : undefined;
    return {
      ...shape,
      // Input errors say what is wrong in one line; internal errors never leak their message.
      // No message reaches a client with an internal address in it (a peer's error, a dependency's).
      message: zod
        ? `Invalid input: ${describeZodError(zod)}`
        : error.code === "INTERNAL_SERVER_ERROR"
          ? "Internal error"
          : withoutAddresses(shape.message),
      data: { ...shape.data, stack: undefined, issues: zod?.issues },
    };
  },
});

export const router = t.router;

/** The result, or its failure mapped to its right code (CONFLICT, SERVICE_UNAVAILABLE...) and logged once. */
function checked<R extends { ok: true } | { ok: false; error: TRPCError }>(result: R, ctx: Context, path: string): R {
  if (!result.ok) {
    const mapped = toTrpcError(result.error.cause ?? result.error);
    const error = result.error.code === "INTERNAL_SERVER_ERROR" ? mapped : result.error;
    const level = error.code === "INTERNAL_SERVER_ERROR" ? "error" : error.code === "SERVICE_UNAVAILABLE" ? "warn" : "debug";
    // ctx.log only here: reading it makes the request's child logger.
    ctx.log[level]({ err: result.error.cause ?? result.error, path, code: error.code }, "procedure failed");
    if (error !== result.error) throw error;
  }
  return result;
}

const mapFailures = t.middleware(async ({ next, ctx, path }) => checked(await next(), ctx, path));

const traceAndMapFailures = t.middleware(({ next, ctx, path, type }) =>
  traceProcedure(path, type, async () => checked(await next(), ctx, path)),
);

/**
 * Every procedure: failures mapped and logged, and traced (a span per call) when an OpenTelemetry SDK
 * runs. Without one (no OTEL_EXPORTER_OTLP_ENDPOINT) the span would be a no-op that still costs its
 * context switch and closures on every call, so the procedures are built without it.
 */
export const publicProcedure = t.procedure.use(tracingActive() ? traceAndMapFailures : mapFailures);

/** Admin procedures and writes: `Authorization: Bearer <ADMIN_TOKEN>`. */
export const adminProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.isAdmin) throw new TRPCError({ code: "UNAUTHORIZED", message: "This procedure needs Authorization: Bearer <ADMIN_TOKEN>." });
  return next();
});
