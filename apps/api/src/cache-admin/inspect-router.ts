import type { ResultSource } from "@hoard/cache";
import { z } from "zod";
import { adminProcedure, router } from "../trpc/init.js";
import { userId } from "../users/inputs.js";

/** Where a lookup's answer came from, as the admin UI shows it. */
export type LookupSource = "l1" | "l2" | "database" | "coalesced" | "lock-wait" | "stale";

/** The cache's name for each source, in the UI's words ("loader" is Postgres here). */
export function sourceOf(source: ResultSource): LookupSource {
  return source === "loader" ? "database" : source;
}

/** Tools for the admin UI (admin only). */
export const inspectRouter = router({
  /** What a profile update does to the cache (PROFILE_WRITE_POLICY), so the UI can say what the next lookup will do. */
  writePolicy: adminProcedure.query(({ ctx }) => ({ profiles: ctx.services.users.writePolicy })),
  /**
   * `user.byId` that also says where the answer came from, how long it took (from `getOrSetDetailed`)
   * and when it was answered (epoch ms), so a test can tell which loads ran at the same time.
   */
  lookup: adminProcedure.input(z.strictObject({ id: userId })).query(async ({ ctx, input }) => {
    const result = await ctx.services.users.byIdDetailed(input.id);
    const answeredAt = Date.now();
    return {
      id: input.id,
      user: result.value,
      negative: result.negative,
      source: sourceOf(result.source),
      ms: Math.round(result.ms * 100) / 100,
      answeredAt,
      /** What an update does to this entry (PROFILE_WRITE_POLICY): after an edit, `invalidate` reads from the database, `write-through` from the cache. */
      writePolicy: ctx.services.users.writePolicy,
    };
  }),
});
