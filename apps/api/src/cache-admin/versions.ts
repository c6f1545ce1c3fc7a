import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, router } from "../trpc/init.js";
import { namespaceName } from "./inputs.js";

/**
 * Versioned keys, changed for the running cluster (admin only): bump the
 * `user` namespace to the next version on every instance, and back.
 */
export const versionsRouter = router({
  /** The code's version, this instance's, and each live instance's (from its heartbeat). */
  state: adminProcedure.input(z.strictObject({ namespace: namespaceName })).query(async ({ ctx }) => {
    const { userVersion, heartbeat, instance } = ctx.services;
    const live = await heartbeat.list();
    return {
      codeVersion: userVersion.codeVersion,
      version: userVersion.version,
      instanceId: instance.id,
      instances: live.map((entry) => ({ id: entry.id, url: entry.url, version: entry.namespaceVersions?.user ?? null })),
    };
  }),

  /** Moves every instance to `from + 1`; CONFLICT when the cluster is no longer at `from`. */
  bump: adminProcedure
    .input(z.strictObject({ namespace: namespaceName, from: z.number().int().min(1).max(1_000_000) }))
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.services.userVersion.bump(input.from)))
        throw new TRPCError({
          code: "CONFLICT",
          message: `The cluster is at v${ctx.services.userVersion.version}, not v${input.from}: someone changed it meanwhile. Reload and try again.`,
        });
      return { version: ctx.services.userVersion.version };
    }),

  /** Back to the code's version on every instance, after clearing the namespace (its old entries may be stale). */
  restore: adminProcedure.input(z.strictObject({ namespace: namespaceName })).mutation(async ({ ctx }) => {
    const removed = await ctx.services.userVersion.restore();
    return { version: ctx.services.userVersion.version, removed };
  }),
});
