import { RedisClusterServers } from "@hoard/test-servers";
import type { TestProject } from "vitest/node";

/** globalSetup of the `cache-cluster` project: one real 3-master cluster for the whole run, stopped by pid. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await RedisClusterServers.start(3);
  project.provide("redisCluster", cluster.addresses);
  return () => cluster.stop();
}
