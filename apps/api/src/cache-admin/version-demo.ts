import { createCache } from "@hoard/cache";
import type { Services } from "../services.js";

/**
 * What a version bump of the `user` namespace would do to one id, shown
 * without changing the running cluster: the id is read through the cache (so
 * the current version holds it), then a short-lived reader at version + 1 on
 * the same Redis looks for it. Its key differs, so it finds nothing: after a
 * bump every old entry is unreachable at once and simply expires on its TTL.
 */
export async function versionDemo(services: Services, id: number) {
  const current = services.users.namespace;
  const user = await services.users.byId(id);
  const before = await current.peek(id);
  // Adopts the API's own Redis connection (not closed with the reader) and publishes nothing: a look, not a change.
  const reader = createCache({ prefix: services.config.cachePrefix, redis: services.redis ?? false, bus: false });
  try {
    const bumped = reader.namespace<unknown>(current.name, { version: current.version + 1 });
    const after = await bumped.peek(id);
    const oldKeys = await current.inspect({ tier: "l2", limit: 1_000 });
    const newKeys = await bumped.inspect({ tier: "l2", limit: 1_000 });
    return {
      id,
      exists: user !== null,
      current: { version: current.version, key: before.key, inL2: before.l2 !== null },
      bumped: { version: bumped.version, key: after.key, inL2: after.l2 !== null },
      /** Entries on the first SCAN page of each version (a sample, not a count). */
      sampledKeys: { current: oldKeys.entries.length, bumped: newKeys.entries.length },
      ttlMs: current.policy.ttlMs,
    };
  } finally {
    await reader.close();
  }
}
