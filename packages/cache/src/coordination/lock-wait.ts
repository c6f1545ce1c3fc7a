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
  /** The namespace's clear generation (the copy in this key's slot). */
  generation: string;
}

const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;
/** Past a lock's PTTL before asking again (clock steps between Redis and here). */
const LAPSE_MARGIN_MS = 2;

/**
 * Takes the distributed lock (with the lease), or waits for the process that
 * holds it. Waiters are woken by the holder's fill or release message on the
 * bus; a poll with exponential backoff is only the fallback for a lost
 * message or a holder that died. A live holder renews its lock; a dead one's
 * lapses within `lockTtlMs`, and waiters look again right when it lapses
 * (the acquire reports its PTTL), so one of them takes it over at once.
 * Nobody waits past `waitTimeoutMs`.
 */
export async function acquireOrWait<T>(
  context: Pick<CacheContext, "l2" | "bus" | "leaseTtlMs" | "clock">,
  codec: EntryCodec<T>,
  keys: LockKeys,
  token: string,
  options: {
    lockTtlMs: number;
    waitTimeoutMs: number;
    onWait: () => void;
    /**
     * Whether a stored value found instead of the lock may be served (a tagged one may be dead):
     * "serve" it, ask "again" at once (it was removed), or "load" without the lock (it cannot be checked).
     */
    accept?: (entry: DecodedEntry<T>, bytes: Buffer) => Promise<"serve" | "again" | "load">;
  },
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
      let entry: DecodedEntry<T>;
      try {
        entry = await codec.decode(reply.existing);
      } catch {
        // Undecodable bytes: the caller's GET path deletes and counts them; load without filling L2.
        return { kind: "unavailable" };
      }
      const verdict = options.accept ? await options.accept(entry, reply.existing) : "serve";
      if (verdict === "serve") return { kind: "value", entry };
      if (verdict === "load") return { kind: "unavailable" };
      if (performance.now() >= deadline) return { kind: "timeout" };
      continue;
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
    // Look again when the lock would lapse if its holder stopped renewing it (it died), if that comes first.
    const lapseMs = reply.lockPttlMs >= 0 ? reply.lockPttlMs + LAPSE_MARGIN_MS : Number.POSITIVE_INFINITY;
    const pauseMs = Math.min(pollMs, remaining, lapseMs);
    if (wake && pauseMs >= pollMs) await wake.promise;
    else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([wake?.promise, new Promise((resolve) => (timer = setTimeout(resolve, pauseMs)))].filter(Boolean));
      clearTimeout(timer);
      wake?.cancel();
    }
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }
}
