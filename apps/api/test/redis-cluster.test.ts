import { RedisClusterServers } from "@hoard/test-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "./support/client.js";
import { expectEveryInstanceListed, expectWriteSeenEverywhere } from "./support/cluster-checks.js";
import { until } from "./support/poll.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { type ApiProcess, spawnApi, waitReady } from "./support/processes.js";
import { uniquePrefix } from "./support/redis.js";

// Three API processes on a real 3-master Redis Cluster (REDIS_CLUSTER_NODES), one database.
let redisCluster: RedisClusterServers;
let database: TestDatabase;
let instances: ApiProcess[] = [];
let clients: ReturnType<typeof client>[] = [];

beforeAll(async () => {
  [redisCluster, database] = await Promise.all([RedisClusterServers.start(3), createTestDatabase()]);
  const env = { REDIS_URL: "", REDIS_CLUSTER_NODES: redisCluster.addresses.join(",") };
  const prefix = uniquePrefix("redis-cluster");
  instances = await Promise.all([0, 1, 2].map(() => spawnApi({ databaseUrl: database.url, prefix, env })));
  await Promise.all(instances.map((instance) => waitReady(instance)));
  clients = instances.map((instance) => client(instance.url));
}, 90_000);

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await database?.drop();
  await redisCluster?.stop();
});

describe("three API processes on a Redis Cluster", () => {
  it("report the cluster mode and see each other through heartbeats", async () => {
    const [a] = clients;
    const stats = await a!.cache.stats.query();
    expect(stats.instance.redisMode).toBe("cluster");
    await expectEveryInstanceListed(clients, instances);
  });

  it("a write on one instance reaches the others through the bus", async () => {
    await expectWriteSeenEverywhere(clients, "clustered");
  });

  it("a distributed stampede spread over the three processes loads the row once", async () => {
    const [a] = clients;
    const user = await a!.user.create.mutate({ username: "hot", email: "hot@example.com", displayName: "Hot key" });
    await a!.lab.setDbLatency.mutate({ ms: 300 });
    await until("every instance to apply 300 ms", async () => {
      const list = await a!.instances.list.query();
      return list.length === 3 && list.every((instance) => instance.dbLatencyMs === 300);
    });
    const result = await a!.lab.stampede.mutate({ id: user.id, concurrency: 300, mode: "distributed", spread: true });
    expect(result.instances).toHaveLength(3);
    expect(result.errors).toBe(0);
    expect(result.dbLoads).toBe(1);
    expect(result.lockTimeouts).toBe(0);
    console.log(`Redis Cluster: distributed stampede, 300 calls over 3 processes: ${result.dbLoads} database load`);
  });

  it("cache.clear removes the namespace from every master", async () => {
    const [a] = clients;
    for (let i = 0; i < 30; i++) {
      const user = await a!.user.create.mutate({ username: `many${i}`, email: `many${i}@example.com`, displayName: `Many ${i}` });
      await a!.user.byId.query({ id: user.id });
    }
    const cluster = redisCluster.client();
    try {
      await until("the cluster client", () => cluster.status === "ready");
      const perMaster = await Promise.all(cluster.nodes("master").map((node) => node.dbsize()));
      expect(perMaster.filter((count) => count > 0)).toHaveLength(3);
      const { removedFromL2 } = await a!.cache.clear.mutate({ namespace: "user" });
      expect(removedFromL2).toBeGreaterThanOrEqual(30);
      for (const node of cluster.nodes("master")) {
        const [, keys] = await node.scan("0", "MATCH", "*:user:v*", "COUNT", 10_000);
        expect(keys).toEqual([]);
      }
    } finally {
      cluster.disconnect();
    }
  });
});
