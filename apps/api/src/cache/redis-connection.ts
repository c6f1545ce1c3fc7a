import type { ClusterInput } from "@hoard/cache";
import { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import { createEmulatedRedis } from "./emulated-redis.js";

/** Where the cache's Redis comes from. */
export type RedisMode = "external" | "cluster" | "local-default" | "emulated";

/** What the API connects its cache to. */
export interface RedisChoice {
  mode: RedisMode;
  /** A URL or cluster seed nodes for the cache to connect to, or a ready client (the emulation). */
  target: string | ClusterInput | ReturnType<typeof createEmulatedRedis>;
  /** Set when the mode limits what the API can do. */
  warning: string | undefined;
}

export const EMULATION_WARNING =
  "REDIS_URL is unset and no Redis answers on 127.0.0.1:6379: running on an in-process Redis emulation (ioredis-mock). " +
  "This mode is ONE INSTANCE ONLY: nothing is shared with other instances. Set REDIS_URL for a cluster.";

/**
 * REDIS_CLUSTER_NODES set: an ioredis Cluster on those seed nodes. REDIS_URL set: use it (if it is down the API still serves, from Postgres,
 * and /readyz says so). Unset: the local default if it answers, else the emulation.
 */
export async function chooseRedis(
  redisUrl: string | undefined,
  probeUrl: string,
  log: Logger,
  clusterNodes?: string[],
): Promise<RedisChoice> {
  if (clusterNodes) return { mode: "cluster", target: { cluster: clusterNodes }, warning: undefined };
  if (redisUrl) return { mode: "external", target: redisUrl, warning: undefined };
  if (await answers(probeUrl)) {
    log.info({ redis: probeUrl }, "REDIS_URL unset: using the Redis that answers on the default address");
    return { mode: "local-default", target: probeUrl, warning: undefined };
  }
  log.warn(EMULATION_WARNING);
  return { mode: "emulated", target: createEmulatedRedis(), warning: EMULATION_WARNING };
}

/** Whether a Redis at `url` answers PING within a short deadline. */
async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {}); // the failure is the answer; it is reported by the caller
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A Redis connection of the app's own. */
export type AppRedis = Redis | Cluster;

/**
 * The app's own connection for its keys (heartbeats, the lab lock, DB latency, health): the cache's
 * client stays the cache's, behind its breaker. Same target as the cache; the emulation is shared
 * (it is one in-process object either way). Commands fail fast while disconnected, like the cache's.
 */
export function connectAppRedis(choice: RedisChoice): AppRedis {
  const target = choice.target;
  // A ready client has a cluster() method, so test for the seed-node array itself.
  const seeds =
    typeof target === "object" && Array.isArray((target as ClusterInput).cluster) ? (target as ClusterInput).cluster : undefined;
  if (typeof target !== "string" && !seeds) return target as Redis;
  const options = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2_000),
  };
  const client: AppRedis =
    typeof target === "string"
      ? new Redis(target, options)
      : new Cluster((seeds ?? []).map(parseSeed), { enableOfflineQueue: false, redisOptions: options });
  return client;
}

/** `"host:port"` becomes `{ host, port }` (ioredis reads a bare string as a URL or a port). */
function parseSeed(node: ClusterInput["cluster"][number]): ClusterInput["cluster"][number] {
  if (typeof node !== "string" || node.includes("://")) return node;
  const at = node.lastIndexOf(":");
  return at > 0 ? { host: node.slice(0, at), port: Number(node.slice(at + 1)) } : node;
}
