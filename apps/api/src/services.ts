import type { Cache } from "@hoard/cache";
import type { Logger } from "pino";
import type { RedisMode } from "./cache/redis-connection.js";
import type { StatsSeries } from "./cache/stats-series.js";
import type { Config } from "./config.js";
import type { InvalidationOutbox } from "./db/outbox.js";
import type { AdminAuth } from "./http/admin-auth.js";
import type { Heartbeat } from "./instances/heartbeat.js";
import type { DbLatency } from "./lab/db-latency.js";
import type { StampedeLab } from "./lab/stampede.js";
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
  /** Durable invalidations from Postgres (transactional outbox). */
  outbox: InvalidationOutbox;
  lab: StampedeLab;
  latency: DbLatency;
  heartbeat: Heartbeat;
  series: StatsSeries;
  auth: AdminAuth;
  instance: InstanceIdentity;
  redisMode: RedisMode;
  /** Warnings about the mode the instance runs in (emulated Redis, embedded Postgres). */
  warnings: string[];
}
