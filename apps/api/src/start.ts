import { randomInt, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createCache } from "@hoard/cache";
import { registerCacheMetrics } from "@hoard/cache/prometheus";
import { type Logger, pino } from "pino";
import { ClusterVersion } from "./cache/cluster-version.js";
import { chooseRedis, connectAppRedis } from "./cache/redis-connection.js";
import { StatsSeries } from "./cache-admin/stats-series.js";
import type { Config } from "./config.js";
import { createDatabaseClient } from "./db/client.js";
import type { EmbeddedPostgres } from "./db/embedded.js";
import { migrateWithLock } from "./db/migrate.js";
import { NotifyListener } from "./db/notify-listener.js";
import { InvalidationOutbox, type InvalidationTarget } from "./db/outbox.js";
import { AdminAuth } from "./http/admin-auth.js";
import { createApp } from "./http/app.js";
import { logSerializers } from "./http/log-redaction.js";
import { ApiMetrics } from "./http/metrics.js";
import { createLimitedServer } from "./http/server-limits.js";
import { Heartbeat, identityText, liveInstances } from "./instances/heartbeat.js";
import { DbLatency } from "./lab/db-latency.js";
import { StampedeLab } from "./lab/stampede.js";
import type { InstanceIdentity, Services } from "./services.js";
import type { ProfileStore, ProfileStoreFactory } from "./users/profile-store.js";
import { UsersRepository } from "./users/repository.js";
import { USER_NAMESPACE, UserService } from "./users/user-service.js";

/** Rows per INSERT when seeding from the admin UI: small enough for a progress bar that moves. */
const SEED_BATCH_SIZE = 250;

/** A running API instance. */
export interface RunningApi {
  url: string;
  port: number;
  /** The Postgres the instance uses (the embedded one's local URL when DATABASE_URL is unset). */
  databaseUrl: string;
  services: Services;
  listener: NotifyListener;
  outbox: InvalidationOutbox;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The logger (default: pino at `config.logLevel` on stdout). */
  log?: Logger;
  /** Receives a generated admin token once (the entry point prints a login URL). */
  revealAdminToken?: (token: string) => void;
  /**
   * Replaces the read/write path of the `user` procedures (byId, create, update, delete), for the
   * benchmarks that compare caching strategies behind the same API. The replacement owns its
   * invalidation: the outbox drain and the database listener are not started (the trigger still
   * writes outbox rows; they stay). list, the lab and the inspector stay on Hoard.
   * @default undefined: Hoard's UserService, as shipped
   */
  profiles?: ProfileStoreFactory;
}

/** pino at the configured level; human-readable through pino-pretty (a dev dependency) when LOG_FORMAT=pretty. */
function createLogger(config: Config): Logger {
  const redact = ["req.headers.authorization", "req.headers.cookie"];
  if (config.logFormat === "json") return pino({ level: config.logLevel, redact, serializers: logSerializers });
  return pino({
    level: config.logLevel,
    redact,
    serializers: logSerializers,
    name: `api:${config.port}`,
    transport: { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l", ignore: "pid,hostname", singleLine: true } },
  });
}

/**
 * Starts one instance: Postgres (or the embedded one), migrations under an
 * advisory lock, Redis (or none: L1 only), the cache, the LISTEN connection,
 * heartbeats, then HTTP. `close()` stops it all in reverse order.
 */
export async function startApi(config: Config, options: StartOptions = {}): Promise<RunningApi> {
  const log = options.log ?? createLogger(config);
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn({ err: error }, "error while shutting down");
      }
    }
  };
  try {
    const warnings: string[] = [];
    let embedded: EmbeddedPostgres | undefined;
    if (!config.databaseUrl) {
      // Loaded only here (and faker only when seeding): an instance on a real Postgres starts without either.
      const { startEmbeddedPostgres } = await import("./db/embedded.js");
      embedded = await startEmbeddedPostgres(config.dataDir, log);
      cleanups.push(() => embedded?.close());
    }
    const databaseUrl = config.databaseUrl ?? (embedded as EmbeddedPostgres).url;
    const database = createDatabaseClient(databaseUrl, log);
    cleanups.push(() => database.close());
    await migrateWithLock(database.pool, log);

    const redis = await chooseRedis(config.redisUrl, config.embeddedRedisProbeUrl, log, config.redisClusterNodes);
    if (redis.warning) warnings.push(redis.warning);
    const cache = createCache({
      prefix: config.cachePrefix,
      redis: redis.target,
      replicaAcks: config.redisReplicaAcks,
      logger: log.child({ component: "cache" }),
    });
    cleanups.push(() => cache.close());
    const appRedis = connectAppRedis(redis);
    if (appRedis) {
      appRedis.on("error", (error: Error) => log.debug({ err: error }, "app redis connection error"));
      // Bounded, like cache.ready(): without Redis the API still serves, from Postgres.
      await whenReady(appRedis, 3_000);
      cleanups.push(() =>
        appRedis.quit().then(
          () => undefined,
          () => appRedis.disconnect(),
        ),
      );
    }
    await cache
      .ready(3_000)
      .catch((error: Error) => log.warn({ err: error }, "Redis is not ready: serving from L1 and Postgres until it is"));

    const metrics = new ApiMetrics();
    registerCacheMetrics(cache, { registry: metrics.registry });
    const latency = new DbLatency(config.dbLatencyMs, appRedis, config.cachePrefix, log);
    cleanups.push(() => latency.close());
    // No other instance alive: the cluster starts afresh, without the latency an earlier run's lab left behind.
    const alone = appRedis
      ? await liveInstances(appRedis, config.cachePrefix).then(
          (live) => live.length === 0,
          () => false,
        )
      : true;
    await latency.start(alone).catch((error: Error) => log.warn({ err: error }, "db latency: could not read or subscribe"));
    const repository = new UsersRepository(database.db, metrics);
    const targets = new Map<string, InvalidationTarget>();
    const outbox = new InvalidationOutbox(database.pool, targets, log.child({ component: "outbox" }));
    const users = new UserService(cache, repository, latency, outbox, config.cacheReads, config.profileWritePolicy);
    // The version a demo bump left for the cluster, before any read: every instance reads and writes one version.
    const userVersion = new ClusterVersion(users.namespace, appRedis, config.cachePrefix, log);
    cleanups.push(() => userVersion.close());
    await userVersion.start().catch((error: Error) => log.warn({ err: error }, "user namespace version: could not read or subscribe"));
    // Resolves true only once Redis acknowledged the delete and the list tag's invalidation: the outbox removes the row only then.
    targets.set(USER_NAMESPACE.name, (cacheId, version) => users.invalidate(Number(cacheId), version));
    // Rows of namespace "tag" name a cache tag (inserts queue `users:list`: drizzle/0004_users_list_tag.sql).
    targets.set("tag", (tag) => cache.invalidateTags([tag]));
    cleanups.push(() => outbox.close());
    metrics.watchOutbox(() => outbox.state());
    let profiles: ProfileStore = users;
    if (options.profiles) {
      const custom = await options.profiles({ config, log, repository, loadRow: (id) => users.loadRow(id) });
      cleanups.push(() => custom.close());
      profiles = custom.store;
    }

    const listener = new NotifyListener(
      databaseUrl,
      {
        onChange: (namespace, cacheId) => {
          outbox.wake(namespace, cacheId);
          // Without the bus, the drainer's delete cannot reach this instance's L1: drop the key here too.
          if (cache.busHealth()?.connected !== false) return;
          const local =
            namespace === USER_NAMESPACE.name
              ? users.invalidate(Number(cacheId))
              : namespace === "tag"
                ? cache.invalidateTags([cacheId])
                : Promise.resolve();
          local.catch((error: Error) => log.warn({ err: error, cacheId }, "local invalidation failed"));
        },
        onSettled: (namespace, cacheId) => outbox.settled(namespace, cacheId),
        // Notifications sent while away are gone, the rows are not: drain them.
        onReconnect: () => void outbox.drain(),
      },
      log,
    );
    cleanups.push(() => listener.close());
    if (!options.profiles) {
      await listener.start();
      // What earlier runs left (this instance stopped during a Redis outage, say), then every second.
      outbox.start();
    }

    const instance: InstanceIdentity = { id: randomUUID(), url: "", port: 0, startedAt: Date.now() };
    const auth = AdminAuth.create(config.adminToken, (token) => options.revealAdminToken?.(token));
    const series = new StatsSeries(cache);
    const heartbeat = new Heartbeat(
      appRedis,
      config.cachePrefix,
      () => {
        const stats = cache.stats();
        return {
          ...instance,
          pid: process.pid,
          dbLatencyMs: latency.ms,
          namespaceVersions: Object.fromEntries(stats.namespaces.map((namespace) => [namespace.name, namespace.version])),
          redisMode: redis.mode,
          summary: { ...stats.totals, hitRate: stats.hitRate.overall, l1Entries: stats.l1.entries },
        };
      },
      async () => {
        await Promise.all([latency.refresh(), userVersion.refresh()]);
      },
      log,
      (text) => auth.sign(text),
    );
    const services: Services = {
      config,
      log,
      cache,
      users,
      profiles,
      outbox,
      latency,
      userVersion,
      heartbeat,
      series,
      instance,
      redisMode: redis.mode,
      redis: appRedis,
      warnings,
      auth,
      seedUsers: async (count, onProgress) => {
        const { seedUsers } = await import("./db/seed-users.js");
        return seedUsers(database.db, { count, seed: randomInt(2 ** 31), batchSize: SEED_BATCH_SIZE, onProgress });
      },
      lab: new StampedeLab({
        cache,
        users,
        redis: appRedis,
        prefix: config.cachePrefix,
        self: () => instance,
        // Spread runs forward the caller's admin token: only to instances whose heartbeat proves they hold it.
        instances: async () => (await heartbeat.list()).filter((entry) => auth.verifies(identityText(entry), entry.signature)),
        firstUserId: async () => (await repository.page(0, 1))[0]?.id,
        log,
      }),
    };

    const app = createApp({
      services,
      metrics,
      pool: database.pool,
      postgresMode: embedded ? "embedded" : "external",
      listener: () => listener.state,
    });
    const server = createLimitedServer(app, config.http);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host ?? "::", () => {
        server.off("error", reject);
        resolve();
      });
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    instance.port = port;
    instance.url = config.publicUrl ?? `http://127.0.0.1:${port}`;
    series.start();
    cleanups.push(() => series.stop());
    heartbeat.start();
    cleanups.push(() => heartbeat.stop());
    log.info(
      { url: instance.url, instance: instance.id, redisMode: redis.mode, postgres: embedded ? "embedded" : "external" },
      "hoard api listening",
    );
    return { url: instance.url, port, databaseUrl, services, listener, outbox, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Resolves when `client` is ready or after `timeoutMs`, whichever comes first. */
function whenReady(client: { status: string; once(event: "ready", listener: () => void): unknown }, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
