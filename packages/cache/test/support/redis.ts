import { randomBytes } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** `host:port` of every master when the suites run against a Redis Cluster (project `cache-cluster`). */
    redisCluster: string[] | undefined;
  }
}

/** The shared Redis the suites run against (never flushed: each suite owns a prefix). */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** The cluster's nodes when this run is the `cache-cluster` project, else undefined. */
export const CLUSTER_NODES: string[] | undefined = inject("redisCluster");

/** Whether the suites run against a Redis Cluster. */
export const ON_CLUSTER = CLUSTER_NODES !== undefined;

/** What caches (and worker processes) connect to: the shared Redis, or the test cluster. */
export type RedisTarget = string | { cluster: string[] };
export const REDIS_TARGET: RedisTarget = CLUSTER_NODES ? { cluster: CLUSTER_NODES } : REDIS_URL;

/** A plain client for `target`: a `Cluster` for cluster nodes, else a standalone `Redis`. */
export function plainClient(target: RedisTarget): Redis {
  if (typeof target === "string") return new Redis(target);
  // Same command surface for what the tests use; typed as Redis so tests read alike in both modes.
  return new Cluster(target.cluster.map((node) => ({ host: node.split(":")[0], port: Number(node.split(":")[1]) }))) as unknown as Redis;
}

/** A prefix no other suite or run uses. */
export function uniquePrefix(suite: string): string {
  return `t-${suite}-${randomBytes(4).toString("hex")}`;
}

/** A plain client for inspecting and tampering with keys in tests. */
export function inspector(): Redis {
  return plainClient(REDIS_TARGET);
}

/** Every node to SCAN: the masters of a cluster, or the client itself. */
function scanNodes(redis: Redis): Redis[] {
  return redis.isCluster ? (redis as unknown as Cluster).nodes("master") : [redis];
}

/** Deletes every key under `prefix` (SCAN on every master, never KEYS). */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  for (const key of await keysUnder(redis, prefix)) await redis.unlink(key);
}

/** Every key under `prefix`, from every master. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  if (redis.isCluster && redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
  const found: string[] = [];
  for (const node of scanNodes(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== "0");
  }
  return found.sort();
}

/**
 * Counts the commands a client sends by wrapping `sendCommand`
 * (Lua commands count once, as the EVALSHA they are).
 */
export function countCommands(client: Redis): { counts: Map<string, number>; total(): number; reset(): void } {
  const counts = new Map<string, number>();
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    counts.set(command.name, (counts.get(command.name) ?? 0) + 1);
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.sendCommand;
  return {
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
  };
}
