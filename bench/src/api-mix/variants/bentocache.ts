import type { ProfileStoreFactory, UserProfile } from "@hoard/api";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { redisBusDriver, redisDriver } from "bentocache/drivers/redis";

/**
 * bentocache 1.6.1 as its docs set up a multi-tier cache across instances
 * (bentocache.dev, "Multi tier" and "Quick setup"): an in-memory L1 of 10 MB,
 * Redis as L2, the Redis bus to keep the L1s in step; profiles in a `users`
 * namespace through getOrSet with a 5-minute TTL, and delete after a write.
 */
export const bentocache: ProfileStoreFactory = ({ config, repository, loadRow }) => {
  const url = new URL(config.redisUrl ?? "redis://127.0.0.1:6379");
  const connection = { host: url.hostname, port: Number(url.port || 6379) };
  const bento = new BentoCache({
    default: "cache",
    prefix: `${config.cachePrefix}:bento`,
    stores: {
      cache: bentostore()
        .useL1Layer(memoryDriver({ maxSize: "10mb" }))
        .useL2Layer(redisDriver({ connection }))
        .useBus(redisBusDriver({ connection })),
    },
  });
  const users = bento.namespace("users");
  return {
    store: {
      byId: (id) => users.getOrSet<UserProfile | null>({ key: String(id), factory: () => loadRow(id), ttl: "5m" }),
      create: (fields) => repository.create(fields),
      async update(id, patch) {
        const updated = await repository.update(id, patch);
        await users.delete({ key: String(id) });
        return updated;
      },
      async delete(id) {
        const deleted = await repository.delete(id);
        await users.delete({ key: String(id) });
        return deleted;
      },
    },
    close: () => bento.disconnectAll(),
  };
};
