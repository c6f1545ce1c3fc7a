import type { CacheEventMap } from "@hoard/cache";
import { z } from "zod";
import { adminProcedure, router } from "../init.js";
import { userId } from "../inputs.js";

/** Where a lookup's answer came from, as the admin UI shows it. */
export type LookupSource = "l1" | "l2" | "database" | "coalesced" | "lock-wait" | "stale";

type KeyEvent = "hit" | "negativeHit" | "miss" | "coalesced" | "staleServed" | "fill";
const KEY_EVENTS: readonly KeyEvent[] = ["hit", "negativeHit", "miss", "coalesced", "staleServed", "fill"];

/** What the cache said about one key during a call, in order. */
type Seen = { event: KeyEvent; tier?: "l1" | "l2" };

/** Reads the source off the events of one call: a hit before any miss names its tier; after a miss, what ended the wait. */
export function sourceOf(seen: Seen[]): LookupSource {
  const first = seen[0];
  if (!first) return "l1";
  if (first.event === "hit" || first.event === "negativeHit") return first.tier ?? "l1";
  if (seen.some((s) => s.event === "staleServed")) return "stale";
  if (seen.some((s) => s.event === "coalesced")) return "coalesced";
  if (seen.some((s) => s.event === "fill")) return "database";
  // A miss answered without a load of ours: another process held the lock and its value was read from L2.
  return "lock-wait";
}

/** Tools for the admin UI (admin only). */
export const inspectRouter = router({
  /**
   * `user.byId` that also says where the answer came from and how long it took.
   * The source is read from the cache's events for this key during the call
   * (UserService keeps its loader to itself, so `getOrSetDetailed` cannot be
   * called from here); a concurrent read of the same id by someone else can blur it.
   */
  lookup: adminProcedure.input(z.strictObject({ id: userId })).query(async ({ ctx, input }) => {
    const { cache, users } = ctx.services;
    const key = users.namespace.keys.valueKey(input.id);
    const seen: Seen[] = [];
    const listeners = KEY_EVENTS.map((event) => {
      const listener = (payload: CacheEventMap[KeyEvent]) => {
        if (payload.key === key) seen.push({ event, tier: "tier" in payload ? payload.tier : undefined });
      };
      cache.events.on(event, listener);
      return () => cache.events.off(event, listener);
    });
    const started = performance.now();
    try {
      const user = await users.byId(input.id);
      const ms = Math.round((performance.now() - started) * 100) / 100;
      return { id: input.id, user, negative: user === null, source: sourceOf(seen), ms };
    } finally {
      for (const remove of listeners) remove();
    }
  }),
});
