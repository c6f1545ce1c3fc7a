import type { L2Store } from "../tiers/l2-store.js";

/**
 * Keeps a held lock alive while its loader runs: renews it every
 * `lockTtlMs / 3` (Redisson's watchdog), so a live slow loader is never robbed,
 * while a holder that dies stops renewing and its lock lapses within about
 * `lockTtlMs`. Gives up when the lock is no longer ours, or after `maxMs` (the
 * lease's life: past it the load could not fill anyway). Returns `stop`.
 */
export function keepLockAlive(l2: L2Store, lockKey: string, token: string, lockTtlMs: number, maxMs: number): () => void {
  const started = performance.now();
  let renewing = false;
  const timer = setInterval(
    () => {
      if (performance.now() - started > maxMs) return clearInterval(timer);
      if (renewing) return;
      renewing = true;
      l2.renew(lockKey, token, lockTtlMs).then(
        (renewed) => {
          renewing = false;
          // false: the lock lapsed (a stall longer than lockTtlMs) and may be someone else's now.
          if (renewed === false) clearInterval(timer);
        },
        () => {
          renewing = false;
        },
      );
    },
    Math.max(10, Math.floor(lockTtlMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
