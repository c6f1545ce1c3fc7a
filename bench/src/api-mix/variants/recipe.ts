import type { ProfileStoreFactory, UserProfile } from "@hoard/api";
import { Redis } from "ioredis";

/** The seeds' TTL for a cached profile, in seconds. */
const TTL_SECONDS = 300;

/**
 * The usual recipe: Redis cache-aside with ioredis. GET, and on a miss load
 * the row and SETEX it for 300 s; after a write, DEL. No L1, no lock, no
 * negative caching (an absent id reaches Postgres every time).
 */
export const recipe: ProfileStoreFactory = ({ config, repository, loadRow }) => {
  const redis = new Redis(config.redisUrl ?? "redis://127.0.0.1:6379");
  const key = (id: number) => `${config.cachePrefix}:recipe:user:${id}`;
  return {
    store: {
      async byId(id) {
        const cached = await redis.get(key(id));
        if (cached !== null) return JSON.parse(cached) as UserProfile;
        const row = await loadRow(id);
        if (row) await redis.setex(key(id), TTL_SECONDS, JSON.stringify(row));
        return row;
      },
      create: (fields) => repository.create(fields),
      async update(id, patch) {
        const updated = await repository.update(id, patch);
        await redis.del(key(id));
        return updated;
      },
      async delete(id) {
        const deleted = await repository.delete(id);
        await redis.del(key(id));
        return deleted;
      },
    },
    close: async () => {
      await redis.quit();
    },
  };
};
