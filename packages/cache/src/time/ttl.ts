/**
 * Spreads a TTL by ±`fraction` so entries written together do not expire
 * together. `fraction` 0 returns the TTL unchanged.
 */
export function jitterTtl(ttlMs: number, fraction: number, random: () => number = Math.random): number {
  if (fraction === 0) return ttlMs;
  return Math.max(1, Math.round(ttlMs * (1 + (random() * 2 - 1) * fraction)));
}
