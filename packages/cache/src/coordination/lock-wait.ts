import type { DecodedEntry, EntryCodec } from "../encoding/entry-codec.js";
import type { CacheContext } from "../read/cache-context.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";

/** How a caller got the right to load, or why it did not. */
export type AcquireOutcome<T> =
  | { kind: "acquired" }
  | { kind: "value"; entry: DecodedEntry<T> }
  | { kind: "timeout" }
  | { kind: "unavailable" };

export interface LockKeys {
  value: string;
  lease: string;
  lock: string;
}

const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

/**
 * Takes the distributed lock (with the lease), or waits for the process that
 * holds it. Waiters are woken by the holder's fill or release message on the
 * bus; a poll with exponential backoff is only the fallback for a lost
 * message or a holder that died (its lock expires at `lockTtlMs`). Nobody
 * waits past `waitTimeoutMs`.
 */
export async function acquireOrWait<T>(
  context: Pick<CacheContext, "l2" | "bus" | "leaseTtlMs" | "clock">,
  codec: EntryCodec<T>,
  keys: LockKeys,
  token: string,
  options: { lockTtlMs: number; waitTimeoutMs: number; onWait: () => void },
): Promise<AcquireOutcome<T>> {
  const l2 = context.l2;
  if (!l2) return { kind: "unavailable" };
  const deadline = performance.now() + options.waitTimeoutMs;
  let pollMs = FIRST_POLL_MS;
  let waited = false;
  for (;;) {
    // Listen before asking, so a fill landing between the reply and the wait is not missed.
    const wake = context.bus?.isConnected ? context.bus.waitFor(keys.value, Math.min(pollMs, deadline - performance.now())) : undefined;
    const reply = await l2.acquire(keys, token, {
      leaseTtlMs: context.leaseTtlMs,
      lockTtlMs: options.lockTtlMs,
      wantLock: true,
      nowMs: context.clock.now(),
    });
    if (reply === UNAVAILABLE) {
      wake?.cancel();
      return { kind: "unavailable" };
    }
    if (reply.acquired) {
      wake?.cancel();
      return { kind: "acquired" };
    }
    if (reply.existing) {
      wake?.cancel();
      try {
        return { kind: "value", entry: await codec.decode(reply.existing) };
      } catch {
        // Undecodable bytes: the caller's GET path deletes and counts them; load without filling L2.
        return { kind: "unavailable" };
      }
    }
    if (!waited) {
      waited = true;
      options.onWait();
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      wake?.cancel();
      return { kind: "timeout" };
    }
    if (wake) await wake.promise;
    else await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, remaining)));
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }
}
