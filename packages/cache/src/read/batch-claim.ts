import { acquireOrWait } from "../coordination/lock-wait.js";
import type { DecodedEntry } from "../encoding/entry-codec.js";
import { LockTimeoutError } from "../errors.js";
import type { EntryPolicy } from "../options.js";
import type { StaleCandidate } from "./namespace-types.js";
import type { ReadPath } from "./read-path.js";

/** What asking for the right to load one id of a batch came to. */
export type Claim<T> =
  /** This process loads the id (in a batch call), fenced by its lease when `leased`. */
  | { kind: "load"; leased: boolean; locked: boolean }
  /** Another process filled it while this one waited. */
  | { kind: "value"; entry: DecodedEntry<T> }
  /** The wait ended without a value, and a stale copy is kept. */
  | { kind: "stale"; reason: "soft-timeout" | "lock-timeout" }
  /** The wait ended without a value, no stale copy is kept, and the policy says throw. */
  | { kind: "error"; error: Error };

/**
 * Asks for the right to load one id of a batch, as `getOrSet` does: with
 * distributed protection its lock (waiting, woken by the holder's fill, while
 * another process holds it, with the same deadlines), else only its lease.
 * `onWaiting` is called when Redis's first answer is that another process
 * holds the lock (this id now waits), so the batch can tell when every id has
 * either been claimed or is waiting, and load the claimed ones in one loader
 * call. The batch calls this for
 * all its ids together: their scripts go out in one pipelined round trip, one
 * per id, so ids in different cluster slots need no grouping.
 */
export async function claimForBatch<T>(
  core: ReadPath<T>,
  key: string,
  token: string,
  policy: EntryPolicy,
  stale: StaleCandidate<T> | undefined,
  onWaiting: () => void,
): Promise<Claim<T>> {
  const lockKeys = core.lockKeys(key);
  if (!core.l2) return { kind: "load", leased: false, locked: false };
  // A delete of this key still to be replayed: L2 may hold the old value; load under a lease, as getOrSet does.
  if (policy.protection !== "distributed" || core.pending.covers(key)) {
    return { kind: "load", leased: await core.takeLease(lockKeys, token, policy), locked: false };
  }
  const softWait = stale !== undefined && policy.softTimeoutMs > 0 && policy.softTimeoutMs < policy.lockWaitTimeoutMs;
  const outcome = await acquireOrWait(core, core.codec, lockKeys, token, {
    lockTtlMs: policy.lockTtlMs,
    waitTimeoutMs: softWait ? policy.softTimeoutMs : policy.lockWaitTimeoutMs,
    onWait: () => {
      core.stats.counters.lockWaits++;
      onWaiting();
    },
    accept: (entry, bytes) => core.acceptWaited(key, entry, bytes),
  });
  switch (outcome.kind) {
    case "acquired":
      core.stats.counters.lockAcquired++;
      return { kind: "load", leased: true, locked: true };
    case "value":
      return outcome;
    case "unavailable":
      return { kind: "load", leased: false, locked: false };
    case "timeout": {
      if (softWait) return { kind: "stale", reason: "soft-timeout" };
      core.stats.counters.lockTimeouts++;
      if (stale) return { kind: "stale", reason: "lock-timeout" };
      if (policy.onLockTimeout === "throw") {
        const error = new LockTimeoutError(`Waited lockWaitTimeoutMs=${policy.lockWaitTimeoutMs} for another process to load "${key}".`);
        return { kind: "error", error };
      }
      return { kind: "load", leased: await core.takeLease(lockKeys, token, policy), locked: false };
    }
  }
}
