import { ApiHost } from "./api-host.js";
import { LinkProxy } from "./link-proxy.js";
import { PostgresHost } from "./postgres-host.js";
import { RedisClusterHosts } from "./redis-cluster-hosts.js";
import { REDIS_PORT, RedisHost } from "./redis-host.js";
import type { RedisTopology } from "./schedule.js";
import { BRIDGE_ADDRESS, Topology } from "./topology.js";

/** The token every instance shares (writes and admin calls need it). */
export const NEMESIS_ADMIN_TOKEN = "nemesis-admin-token-0123456789";

/** The proxies on one instance's links. */
export interface InstanceLinks {
  redis: LinkProxy | undefined;
  postgres: LinkProxy;
}

/**
 * The hosts of one run: Postgres (10.77.<slot>.30, slot 0 unless NEMESIS_SLOT), one redis-server (.20)
 * or a 6-node cluster (.41-46), and three API instances
 * (.11-13), each reaching Redis and Postgres through proxies of its
 * own on the bridge (.1), where the nemesis acts.
 */
export class System {
  readonly instances: ApiHost[] = [];
  readonly links: InstanceLinks[] = [];
  postgres: PostgresHost | undefined;
  redis: RedisHost | undefined;
  cluster: RedisClusterHosts | undefined;

  private constructor(
    readonly topology: Topology,
    readonly redisTopology: RedisTopology,
  ) {}

  static async start(redisTopology: RedisTopology, instanceCount: number): Promise<System> {
    const system = new System(Topology.create(), redisTopology);
    try {
      await system.build(instanceCount);
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  private async build(instanceCount: number): Promise<void> {
    const { topology } = this;
    this.postgres = await PostgresHost.start(topology.addHost("pg", 30));
    if (this.redisTopology === "single") {
      this.redis = new RedisHost(topology.addHost("redis", 20));
      await this.redis.start();
    } else {
      this.cluster = await RedisClusterHosts.start(topology);
    }
    for (let i = 0; i < instanceCount; i++) {
      const host = topology.addHost(`api${i}`, 11 + i);
      const postgres = await LinkProxy.start(`api${i}->postgres`, BRIDGE_ADDRESS, { host: this.postgres.host.address, port: 5432 });
      const redis = this.redis
        ? await LinkProxy.start(`api${i}->redis`, BRIDGE_ADDRESS, { host: this.redis.host.address, port: REDIS_PORT })
        : undefined;
      this.links.push({ redis, postgres });
      this.instances.push(new ApiHost(i, host, () => this.environmentOf(i)));
    }
    // The first alone (it runs the migrations), then the others together.
    await this.instances[0]?.start();
    await Promise.all(this.instances.slice(1).map((instance) => instance.start()));
  }

  /** Instance i's environment: its own proxies' addresses. */
  private environmentOf(i: number): Record<string, string> {
    const links = this.links[i] as InstanceLinks;
    const redis: Record<string, string> = links.redis
      ? { REDIS_URL: `redis://${BRIDGE_ADDRESS}:${links.redis.port}` }
      : // Every master has a replica: deletes wait for it, so a failover cannot bring back a deleted value.
        { REDIS_CLUSTER_NODES: (this.cluster as RedisClusterHosts).addresses.join(","), REDIS_REPLICA_ACKS: "1" };
    return {
      DATABASE_URL: `postgres://postgres@${BRIDGE_ADDRESS}:${links.postgres.port}/postgres`,
      ...redis,
      ADMIN_TOKEN: NEMESIS_ADMIN_TOKEN,
      CACHE_PREFIX: "nemesis",
    };
  }

  /** Stops everything; safe to call twice and from a failed start. */
  async stop(): Promise<void> {
    await Promise.all(this.instances.map((instance) => instance.kill().catch(() => {})));
    await Promise.all(
      this.links.flatMap((links) => [links.redis?.close(), links.postgres.close()]).map((closing) => closing?.catch(() => {})),
    );
    this.redis?.dispose();
    this.cluster?.dispose();
    this.topology.destroy();
    this.postgres?.dispose();
  }
}
