import { z } from "zod";
import { adminProcedure, router } from "../init.js";
import { namespaceName } from "../inputs.js";

/** Cache administration (admin only). */
export const cacheRouter = router({
  /** This instance's numbers per tier and namespace, every live instance's summary, and the last 5 minutes second by second. */
  stats: adminProcedure.query(async ({ ctx }) => {
    const { cache, series, instance, heartbeat, redisMode } = ctx.services;
    const snapshot = cache.stats();
    return {
      instance: { ...instance, redisMode },
      tiers: { l1: snapshot.l1, l2: snapshot.l2, bus: snapshot.bus },
      totals: snapshot.totals,
      hitRate: snapshot.hitRate,
      namespaces: snapshot.namespaces,
      inFlight: snapshot.inFlight,
      // Shared by the cluster (one Postgres table); null when Postgres did not answer.
      outbox: await ctx.services.outbox.state().catch(() => null),
      instances: await heartbeat.list(),
      series: series.list(),
    };
  }),

  /** Browse this instance's L1, or L2 (SCAN, a page at a time): key, remaining TTL, version, size, negative marker. */
  entries: adminProcedure
    .input(
      z.strictObject({
        namespace: namespaceName,
        tier: z.enum(["l1", "l2"]),
        limit: z.number().int().min(1).max(1_000).default(50),
        cursor: z
          .string()
          .regex(/^([0-9]{1,4}\.)?[0-9]{1,19}$/, "use the cursor a previous page returned")
          .default("0"),
      }),
    )
    .query(({ ctx, input }) =>
      ctx.services.cache.namespace(input.namespace).inspect({ tier: input.tier, limit: input.limit, cursor: input.cursor }),
    ),

  /** Drops one id from both tiers in every instance (fenced: loads under way cannot write it back). */
  invalidate: adminProcedure
    .input(z.strictObject({ namespace: namespaceName, id: z.union([z.number().int(), z.string().min(1).max(512)]) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.cache.namespace(input.namespace).delete(input.id);
      return { namespace: input.namespace, id: input.id, invalidated: true };
    }),

  /** Drops a whole namespace (all versions) from both tiers in every instance. */
  clear: adminProcedure.input(z.strictObject({ namespace: namespaceName })).mutation(async ({ ctx, input }) => {
    const removed = await ctx.services.cache.namespace(input.namespace).clear();
    return { namespace: input.namespace, removedFromL2: removed };
  }),
});
