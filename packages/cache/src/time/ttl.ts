import type { EntryPolicy } from "../options.js";

/**
 * Spreads a TTL by ±`fraction` so entries written together do not expire
 * together. `fraction` 0 returns the TTL unchanged.
 */
export function jitterTtl(ttlMs: number, fraction: number, random: () => number = Math.random): number {
  if (fraction === 0) return ttlMs;
  return Math.max(1, Math.round(ttlMs * (1 + (random() * 2 - 1) * fraction)));
}

/** When a stored entry stops being fresh, and when its stale copy may no longer be served (both epoch ms). */
export interface Expiry {
  freshUntil: number;
  staleUntil: number;
}

/**
 * The expiry of an entry written at `now`: a jittered `ttlMs` (`negativeTtlMs`
 * for an "absent" marker), then `graceMs` of fail-safe for values (absent
 * markers get no grace: serving "absent" stale would hide a new row).
 */
export function expiryOf(
  now: number,
  negative: boolean,
  policy: Pick<EntryPolicy, "ttlMs" | "negativeTtlMs" | "jitter" | "graceMs">,
  random: () => number,
): Expiry {
  const freshUntil = now + jitterTtl(negative ? policy.negativeTtlMs : policy.ttlMs, policy.jitter, random);
  return { freshUntil, staleUntil: freshUntil + (negative ? 0 : policy.graceMs) };
}

/** `expiry` shortened to end by `capAt` at the latest (L1 entries kept while invalidations cannot be heard). */
export function capExpiry(expiry: Expiry, capAt: number): Expiry {
  return { freshUntil: Math.min(expiry.freshUntil, capAt), staleUntil: Math.min(expiry.staleUntil, capAt) };
}
