import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { withoutAddresses } from "../http/public-errors.js";
import type { Context } from "./context.js";
import { toTrpcError } from "./errors.js";
import { traceProcedure } from "./tracing.js";

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

/** Every procedure: traced (a span per call), failures are mapped to their right code (CONFLICT, SERVICE_UNAVAILABLE...) and logged once. */
export const publicProcedure = t.procedure.use(({ next, ctx, path, type }) =>
  traceProcedure(path, type, async () => {
    const result = await next();
    if (!result.ok) {
      const mapped = toTrpcError(result.error.cause ?? result.error);
      const error = result.error.code === "INTERNAL_SERVER_ERROR" ? mapped : result.error;
      const level = error.code === "INTERNAL_SERVER_ERROR" ? "error" : error.code === "SERVICE_UNAVAILABLE" ? "warn" : "debug";
      ctx.log[level]({ err: result.error.cause ?? result.error, path, code: error.code }, "procedure failed");
      if (error !== result.error) throw error;
    }
    return result;
  }),
);

/** Admin procedures and writes: `Authorization: Bearer <ADMIN_TOKEN>`. */
export const adminProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.isAdmin) throw new TRPCError({ code: "UNAUTHORIZED", message: "This procedure needs Authorization: Bearer <ADMIN_TOKEN>." });
  return next();
});
