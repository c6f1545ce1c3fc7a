import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, publicProcedure, router } from "../trpc/init.js";
import { progressChannel } from "../trpc/progress-channel.js";
import { bio, displayName, email, userId, username } from "./inputs.js";
import { type ProfileView, viewFor } from "./public-profile.js";

const patch = z
  .strictObject({ username: username.optional(), email: email.optional(), displayName: displayName.optional(), bio: bio.optional() })
  .refine((value) => Object.values(value).some((field) => field !== undefined), { message: "give at least one field to change" });

/** User profiles: reads through the cache, writes to Postgres then invalidate. */
export const userRouter = router({
  /** The profile, or null when no user has this id (cached as absent for a few seconds). Without the admin token: no email. */
  byId: publicProcedure.input(z.strictObject({ id: userId })).query(async ({ ctx, input }): Promise<ProfileView | null> => {
    const profile = await ctx.services.profiles.byId(input.id);
    return profile && viewFor(ctx.isAdmin, profile);
  }),

  /** Profiles (public ones without the admin token) ordered by id, `limit` at a time after `cursor` (the last id of the previous page). */
  list: publicProcedure
    .input(
      z.strictObject({
        cursor: z.number().int().min(0).max(2_147_483_647).default(0),
        limit: z.number().int().min(1).max(100).default(20),
      }),
    )
    .query(async ({ ctx, input }): Promise<{ items: ProfileView[]; nextCursor: number | null }> => {
      const page = await ctx.services.users.list(input.cursor, input.limit);
      return { ...page, items: page.items.map((profile) => viewFor(ctx.isAdmin, profile)) };
    }),

  create: adminProcedure
    .input(z.strictObject({ username, email, displayName, bio: bio.default("") }))
    .mutation(({ ctx, input }) => ctx.services.profiles.create(input)),

  update: adminProcedure.input(z.strictObject({ id: userId, patch })).mutation(async ({ ctx, input }) => {
    const updated = await ctx.services.profiles.update(input.id, input.patch);
    if (!updated) throw new TRPCError({ code: "NOT_FOUND", message: `No user has id ${input.id}.` });
    return updated;
  }),

  /**
   * Writes `count` new fake users, streaming progress (`{ done, total }` after each batch, then `{ done, total, inserted }`).
   * The client reads it with httpBatchStreamLink, so the whole run stays on the one instance that does it.
   */
  seed: adminProcedure.input(z.strictObject({ count: z.number().int().min(1).max(100_000) })).mutation(async function* ({ ctx, input }) {
    const progress = progressChannel<number>();
    const run = ctx.services.seedUsers(input.count, progress.push).finally(progress.end);
    for await (const done of progress.values()) yield { done, total: input.count, inserted: undefined as number | undefined };
    yield { done: input.count, total: input.count, inserted: await run };
  }),

  delete: adminProcedure.input(z.strictObject({ id: userId })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.profiles.delete(input.id))) throw new TRPCError({ code: "NOT_FOUND", message: `No user has id ${input.id}.` });
    return { id: input.id, deleted: true };
  }),
});
