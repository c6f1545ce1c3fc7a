import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { queryPeer, trustedInstances } from "../instances/peer-call.js";
import { adminProcedure, router } from "../trpc/init.js";
import { userId } from "../users/inputs.js";
import { localStats, mergeStats, type Stats } from "./cluster-stats.js";
import { namespaceName } from "./inputs.js";
import { peerL1Copy, peerStats } from "./peer-answers.js";
import { versionDemo } from "./version-demo.js";

const entryInput = z.strictObject({ namespace: namespaceName, id: z.union([z.number().int(), z.string().min(1).max(512)]) });

/** Cache administration (admin only). */
export const cacheRouter = router({
  /**
   * Numbers per tier and namespace, live instances and the last 5 minutes second by second, of
   * `of`: "self" (the instance that answers), another instance's id, or "cluster" (every live instance summed).
   */
  stats: adminProcedure
    .input(z.strictObject({ of: z.union([z.enum(["self", "cluster"]), z.uuid()]).default("self") }).optional())
    .query(async ({ ctx, input }): Promise<Stats> => {
      const of = input?.of ?? "self";
      const self = await localStats(ctx.services);
      if (of === "self" || of === ctx.services.instance.id) return self;
      const peers = (await trustedInstances(ctx.services)).filter((peer) => peer.id !== ctx.services.instance.id);
      if (of !== "cluster") {
        const peer = peers.find((candidate) => candidate.id === of);
        if (!peer) throw new TRPCError({ code: "NOT_FOUND", message: `No live instance has id ${of}.` });
        try {
          return peerStats(await queryPeer<unknown>(peer, "cache.stats", undefined, ctx.authorization));
        } catch (error) {
          throw new TRPCError({
            code: "SERVICE_UNAVAILABLE",
            message: `Instance ${of} did not answer usable stats: ${(error as Error).message}`,
            cause: error,
          });
        }
      }
      const answers = await Promise.all(
        peers.map(async (peer) => {
          try {
            return peerStats(await queryPeer<unknown>(peer, "cache.stats", undefined, ctx.authorization));
          } catch {
            return peer.id; // unreachable, refused or malformed: reported as unreachable
          }
        }),
      );
      const others = answers.filter((answer): answer is Stats => typeof answer !== "string");
      return mergeStats(
        self,
        others,
        answers.filter((answer): answer is string => typeof answer === "string"),
      );
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

  /**
   * One entry in full: its L2 copy decoded and as raw bytes (hex, and the payload as UTF-8), the codec, the
   * envelope times, and which live instances hold it in L1 (each is asked). NOT_FOUND when no tier holds it.
   */
  entry: adminProcedure.input(entryInput).query(async ({ ctx, input }) => {
    const { services } = ctx;
    const peeked = await services.cache.namespace(input.namespace).peek(input.id);
    const peers = (await trustedInstances(services)).filter((peer) => peer.id !== services.instance.id);
    const remote = await Promise.all(
      peers.map(async (peer) => {
        try {
          const copy = peerL1Copy(await queryPeer<unknown>(peer, "cache.l1Copy", input, ctx.authorization));
          return { instanceId: peer.id, url: peer.url, copy, error: null };
        } catch (error) {
          return { instanceId: peer.id, url: peer.url, copy: null, error: (error as Error).message };
        }
      }),
    );
    const l1Holders = [{ instanceId: services.instance.id, url: services.instance.url, copy: l1CopyOf(peeked.l1), error: null }, ...remote];
    if (!peeked.l2 && l1Holders.every((holder) => !holder.copy)) {
      throw new TRPCError({ code: "NOT_FOUND", message: `Nothing is cached for ${input.namespace} ${input.id} (key ${peeked.key}).` });
    }
    const l2 = peeked.l2;
    return {
      key: peeked.key,
      version: peeked.version,
      codec: peeked.codec,
      /** Tags are not part of the envelope yet; the UI keeps a place for them. */
      tags: null as string[] | null,
      checkedAt: Date.now(),
      l2: l2 && {
        negative: l2.negative,
        freshUntil: l2.freshUntil,
        staleUntil: l2.staleUntil,
        loadMs: l2.loadMs,
        size: l2.size,
        value: l2.value,
        decodeError: l2.decodeError ?? null,
        headerBytes: peeked.headerBytes,
        hex: l2.bytes.toString("hex"),
        payloadUtf8: l2.bytes.subarray(peeked.headerBytes).toString("utf8"),
      },
      l1Holders,
    };
  }),

  /** Internal: whether this instance holds one id in L1 (the coordinating instance of `cache.entry` asks each). */
  l1Copy: adminProcedure.input(entryInput).query(async ({ ctx, input }) => {
    const peeked = await ctx.services.cache.namespace(input.namespace).peek(input.id);
    return l1CopyOf(peeked.l1);
  }),

  /** Versioned keys, shown: where one user's entry lives now, and that a reader at the next version cannot reach it. */
  versionDemo: adminProcedure.input(z.strictObject({ id: userId })).query(({ ctx, input }) => versionDemo(ctx.services, input.id)),

  /** Drops one id from both tiers in every instance (fenced: loads under way cannot write it back). */
  invalidate: adminProcedure.input(entryInput).mutation(async ({ ctx, input }) => {
    await ctx.services.cache.namespace(input.namespace).delete(input.id);
    return { namespace: input.namespace, id: input.id, invalidated: true };
  }),

  /** Drops a whole namespace (all versions) from both tiers in every instance. */
  clear: adminProcedure.input(z.strictObject({ namespace: namespaceName })).mutation(async ({ ctx, input }) => {
    const removed = await ctx.services.cache.namespace(input.namespace).clear();
    return { namespace: input.namespace, removedFromL2: removed };
  }),
});

/** An L1 copy's envelope times, as `cache.entry` reports them per instance. */
export interface L1Copy {
  negative: boolean;
  freshUntil: number;
  staleUntil: number;
}

function l1CopyOf(copy: { negative: boolean; freshUntil: number; staleUntil: number } | null): L1Copy | null {
  return copy && { negative: copy.negative, freshUntil: copy.freshUntil, staleUntil: copy.staleUntil };
}
