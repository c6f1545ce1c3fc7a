import type { LookupResult } from "../trpc.js";

/** A write made from this tab, which invalidated the id. */
export interface RecentWrite {
  id: number;
  at: number;
  /** `written-through`: an edit under the write-through policy (it stored the new row instead of deleting the key). */
  kind: "created" | "saved" | "written-through" | "deleted";
}

/** The profile TTL and negative TTL of the `user` namespace (apps/api USER_NAMESPACE), for the explanation only. */
const TTL_S = 60;

/**
 * Why a lookup went past both tiers, in one sentence, from what this tab knows:
 * a write it made since the previous lookup of the id (which deleted the key in
 * Redis and, through the bus, in every instance's L1), or an earlier lookup
 * long enough ago for the entry to have expired. Null when the lookup was a hit.
 */
export function missReason(
  result: Pick<LookupResult, "id" | "source">,
  at: number,
  previousLookupAt: number | undefined,
  writes: readonly RecentWrite[],
): string | null {
  if (result.source !== "database" && result.source !== "lock-wait") return null;
  const write = writes
    .filter(
      (candidate) =>
        candidate.id === result.id && candidate.at <= at && (previousLookupAt === undefined || candidate.at > previousLookupAt),
    )
    .at(-1);
  if (write?.kind === "written-through") {
    return `Why it missed: you saved user ${write.id} at ${new Date(write.at).toLocaleTimeString()} under write-through, but its set did not land (refused as not newer than a concurrent write, or Redis unreachable), so the key was deleted instead.`;
  }
  if (write) {
    return `Why it missed: you ${write.kind} user ${write.id} at ${new Date(write.at).toLocaleTimeString()}. The write deleted the key in Redis and published an invalidation on the bus, so every instance dropped its L1 copy (the Postgres listener does the same for writes made outside the API).`;
  }
  if (previousLookupAt === undefined) {
    return `Why it missed: no earlier lookup of user ${result.id} from this tab, so it was probably never cached, or it expired (profiles live ${TTL_S} s), or something else invalidated it.`;
  }
  const since = Math.round((at - previousLookupAt) / 1000);
  return since >= TTL_S
    ? `Why it missed: the last lookup was ${since} s ago, longer than the ${TTL_S} s the entry lives, so it had expired.`
    : `Why it missed: looked up ${since} s ago and not edited from this tab, so another writer invalidated it (another tab, the lab, a clear, or a change in Postgres seen by the listener).`;
}
