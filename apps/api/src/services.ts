import type { Cache } from "@hoard/cache";
import type { Logger } from "pino";
import type { ClusterVersion } from "./cache/cluster-version.js";
import type { AppRedis, RedisMode } from "./cache/redis-connection.js";
import type { StatsSeries } from "./cache-admin/stats-series.js";
import type { Config } from "./config.js";
import type { InvalidationOutbox } from "./db/outbox.js";
import type { AdminAuth } from "./http/admin-auth.js";
import type { Heartbeat } from "./instances/heartbeat.js";
import type { DbLatency } from "./lab/db-latency.js";
import type { StampedeLab } from "./lab/stampede.js";
import type { ProfileStore } from "./users/profile-store.js";
import type { UserService } from "./users/user-service.js";

/** This process as the cluster sees it. */
export interface InstanceIdentity {
  id: string;
  url: string;
  port: number;
  startedAt: number;
}

/** Everything a request handler may use; built once per instance in start.ts. */
export interface Services {
  config: Config;
  log: Logger;
  cache: Cache;
  users: UserService;
  /** What the `user` procedures read and write through: `users` unless a benchmark replaced it (StartOptions.profiles). */
  profiles: ProfileStore;
  /** Durable invalidations from Postgres (transactional outbox). */
  outbox: InvalidationOutbox;
  lab: StampedeLab;
  latency: DbLatency;
  /** The `user` namespace's version for the whole cluster (the versioned-keys demo). */
  userVersion: ClusterVersion;
  heartbeat: Heartbeat;
  series: StatsSeries;
  auth: AdminAuth;
  instance: InstanceIdentity;
  redisMode: RedisMode;
  /** The app's own Redis connection (heartbeats, the lab lock, DB latency, health), apart from the cache's. */
  redis: AppRedis | undefined;
  /** Writes `count` fake users (a random faker seed, so each run adds new ones); `onProgress` after each batch. Returns the rows inserted. */
  seedUsers: (count: number, onProgress: (done: number) => void) => Promise<number>;
  /** Warnings about the mode the instance runs in (no Redis). */
  warnings: string[];
}
