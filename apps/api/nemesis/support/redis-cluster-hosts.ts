import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { until } from "../../test/support/poll.js";
import { REDIS_PORT, RedisHost } from "./redis-host.js";
import type { Topology } from "./topology.js";

const run = promisify(execFile);

/** A 3-master, 3-replica Redis Cluster, one node per host; a killed master's replica takes over. */
export class RedisClusterHosts {
  private constructor(readonly nodes: RedisHost[]) {}

  /** Hosts `rc0`..`rc5` at 10.77.<slot>.41-46, joined with `redis-cli --cluster create --cluster-replicas 1`. */
  static async start(topology: Topology): Promise<RedisClusterHosts> {
    const nodes: RedisHost[] = [];
    for (let i = 0; i < 6; i++) {
      const host = topology.addHost(`rc${i}`, 41 + i);
      // A short node timeout: the replica is promoted about 2 s after its master dies.
      nodes.push(
        new RedisHost(host, ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${i}.conf`, "--cluster-node-timeout", "2000"]),
      );
    }
    const cluster = new RedisClusterHosts(nodes);
    await Promise.all(nodes.map((node) => node.start()));
    await run("redis-cli", ["--cluster", "create", ...cluster.addresses, "--cluster-replicas", "1", "--cluster-yes"], { timeout: 30_000 });
    await cluster.waitHealthy();
    return cluster;
  }

  get addresses(): string[] {
    return this.nodes.map((node) => node.address);
  }

  /** The nodes that are masters now (in node order), from a live node's CLUSTER NODES. */
  async masters(): Promise<RedisHost[]> {
    for (const node of this.nodes) {
      if (!node.pid) continue;
      try {
        const text = await command(node, (redis) => redis.cluster("NODES") as Promise<string>);
        const masterAddresses = text
          .split("\n")
          .filter((line) => line.includes("master") && !line.includes("fail"))
          .map((line) => (line.split(" ")[1] ?? "").split("@")[0]);
        return this.nodes.filter((each) => masterAddresses.includes(each.address));
      } catch {
        // try the next node
      }
    }
    return [];
  }

  /** Every live node says cluster_state:ok. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await until(
      "cluster_state:ok on every live node",
      async () => {
        const live = this.nodes.filter((node) => node.pid !== undefined);
        const infos = await Promise.all(live.map((node) => command(node, (redis) => redis.cluster("INFO") as Promise<string>)));
        return infos.every((info) => info.includes("cluster_state:ok"));
      },
      timeoutMs,
    );
  }

  dispose(): void {
    for (const node of this.nodes) node.dispose();
  }
}

async function command<T>(node: RedisHost, call: (redis: Redis) => Promise<T>): Promise<T> {
  const [host, port] = node.address.split(":");
  const redis = new Redis({
    host,
    port: Number(port ?? REDIS_PORT),
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await call(redis);
  } finally {
    redis.disconnect();
  }
}
