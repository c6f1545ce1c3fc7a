import type { ClusterInput } from "@hoard/cache";
import { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";

/** Where the cache's Redis comes from; `none`: no Redis at all, L1 only (`redis: false`). */
export type RedisMode = "external" | "cluster" | "local-default" | "none";

/** What the API connects its cache to. */
export interface RedisChoice {
  mode: RedisMode;
  /** A URL or cluster seed nodes for the cache to connect to, or `false` for L1 only. */
  target: string | ClusterInput | false;
  /** Set when the mode limits what the API can do. */
  warning: string | undefined;
}

/** The patterns that need a shared Redis, named the way the README and the admin UI name them. */
export const PATTERNS_NEEDING_REDIS = [
  "L2 (entries shared by every instance)",
  "the distributed stampede lock",
  "fenced fills (leases)",
  "the invalidation bus between instances' L1",
  "instance heartbeats and the cluster-wide lab",
] as const;

/** How to get a Redis, for the no-Redis notice. */
export const HOW_TO_GET_REDIS =
  "start one (`docker compose up -d`, or a local `redis-server`) on 127.0.0.1:6379 or set REDIS_URL, then restart";

export const NO_REDIS_WARNING =
  `No Redis: REDIS_URL is unset and nothing answers on 127.0.0.1:6379, so the cache runs L1 only, on one instance. ` +
  `Not available without Redis: ${PATTERNS_NEEDING_REDIS.join(", ")}. To get them, ${HOW_TO_GET_REDIS}.`;

/**
 * REDIS_CLUSTER_NODES set: an ioredis Cluster on those seed nodes. REDIS_URL set: use it (if it is down the API still serves, from Postgres,
 * and /readyz says so). Unset: the local default if it answers, else no Redis at all (L1 only).
 */
export async function chooseRedis(
  redisUrl: string | undefined,
  probeUrl: string,
  log: Logger,
  clusterNodes?: string[],
): Promise<RedisChoice> {
  if (clusterNodes) return { mode: "cluster", target: { cluster: clusterNodes }, warning: undefined };
  if (redisUrl) return { mode: "external", target: redisUrl, warning: undefined };
  if (await redisAnswers(probeUrl)) {
    log.info({ redis: probeUrl }, "REDIS_URL unset: using the Redis that answers on the default address");
    return { mode: "local-default", target: probeUrl, warning: undefined };
  }
  log.warn(NO_REDIS_WARNING);
  return { mode: "none", target: false, warning: NO_REDIS_WARNING };
}

/** Whether a Redis at `url` answers PING within a short deadline. */
export async function redisAnswers(url: string): Promise<boolean> {
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
 * client stays the cache's, behind its breaker. Same target as the cache; none without Redis.
 * Commands fail fast while disconnected, like the cache's.
 */
export function connectAppRedis(choice: RedisChoice): AppRedis | undefined {
  const target = choice.target;
  if (target === false) return undefined;
  // A ready client has a cluster() method, so test for the seed-node array itself.
  const seeds =
    typeof target === "object" && Array.isArray((target as ClusterInput).cluster) ? (target as ClusterInput).cluster : undefined;
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
