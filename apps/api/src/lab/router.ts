import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, router } from "../trpc/init.js";
import { userId } from "../users/inputs.js";

const mode = z.enum(["none", "local", "distributed"]);

/** The lab: make stampedes and slow databases happen on purpose (admin only). */
export const labRouter = router({
  /** Sets the delay added after each database read, for every instance of the cluster. */
  setDbLatency: adminProcedure.input(z.strictObject({ ms: z.number().int().min(0).max(10_000) })).mutation(async ({ ctx, input }) => {
    await ctx.services.latency.set(input.ms);
    return { dbLatencyMs: ctx.services.latency.ms };
  }),

  /** Clears a key and fires `concurrency` concurrent reads of it with protection `mode`; CONFLICT while another run is under way. */
  stampede: adminProcedure
    .input(
      z.strictObject({
        id: userId.optional(),
        concurrency: z.number().int().min(1).max(2_000),
        mode,
        spread: z.boolean().default(false),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      // A stampede on a missing id measures negative caching, not the lock: refuse it with the reason.
      if (input.id !== undefined && !(await ctx.services.users.exists(input.id))) {
        throw new TRPCError({
          code: "NOT_FOUND",
          message: `No user has id ${input.id}. Pick an existing user, or leave the id blank for the first one.`,
        });
      }
      return ctx.services.lab.run(input, ctx.authorization);
    }),

  /**
   * Internal: this instance's share of a spread run, called once by the run's coordinator. Only the run
   * that holds the lab lock, and only the share its coordinator stored for this instance, fires (FORBIDDEN otherwise).
   */
  fire: adminProcedure
    .input(z.strictObject({ runId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => ctx.services.lab.fireShare(input.runId)),
});
