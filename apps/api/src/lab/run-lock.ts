import type { AppRedis } from "../cache/redis-connection.js";

/** Releases run one at a time: WATCH state belongs to the connection, and EXEC ends every WATCH on it. */
let releasing: Promise<unknown> = Promise.resolve();

/**
 * Deletes `key` only if it still holds `token`, atomically, with no Lua of the app's own: WATCH the
 * key, read it, and DEL it in a MULTI/EXEC that Redis refuses if the key changed (expired, or taken
 * by another run) after the WATCH. So a run whose lock lapsed can never free the next run's lock.
 * On the app's own connection (it runs no other transactions); on a cluster the WATCH, GET and
 * EXEC all go to the node that serves the key. Resolves whether this call deleted it.
 */
export function releaseIfHeld(redis: AppRedis, key: string, token: string): Promise<boolean> {
  const run = releasing.then(async () => {
    await redis.watch(key);
    if ((await redis.get(key)) !== token) {
      await redis.unwatch();
      return false;
    }
    // null: the key was touched after the WATCH, so the DEL did not run.
    const results = await redis.multi().del(key).exec();
    return results !== null && results[0]?.[1] === 1;
  });
  releasing = run.catch(() => {});
  return run;
}
