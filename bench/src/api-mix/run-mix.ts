import { randomBytes } from "node:crypto";
import { History, migrateDatabase } from "@hoard/api";
import { OwnRedisServer } from "@hoard/test-servers";
import { Redis } from "ioredis";
import pg from "pg";
import { percentile } from "../harness.js";
import { processCpuMicros } from "../process-cpu.js";
import { TrpcClient } from "./client.js";
import { type ClusterSettings, VariantCluster } from "./cluster.js";
import { postgresTransactions, redisCommands, redisCommandsByName, settlePostgresStats } from "./counters.js";
import { clearOutbox, ensureDatabase, seedBenchUsers } from "./database.js";
import { MixedLoad, type PhaseResult, VersionClock } from "./load.js";
import { necessaryLoads } from "./load-floor.js";
import { countStale } from "./stale.js";
import type { Strategy } from "./strategies.js";
import { DEFAULT_SHAPE, Workload, type WorkloadShape } from "./workload.js";

/** How big and long the mixed-workload benchmark runs. */
export interface MixSettings {
  strategies: readonly Strategy[];
  /** Rounds; each runs every strategy once, in rotating order. */
  rounds: number;
  shape: WorkloadShape;
  /** Database latency per load, in ms (the lab's DB_LATENCY_MS). */
  dbLatencyMs: number;
  /** API instances per variant, behind one round-robin entry point. */
  instances: number;
  /** Closed-loop clients of the warm-up and saturation phases. */
  concurrency: number;
  /** Clients that ask for the hottest id at once in the cold-start stampede. */
  stampedeClients: number;
  warmupSeconds: number;
  /**
   * The fixed offered load, requests/s (open loop). Unset, it is measured first: `fixedShareOfSaturation` of the
   * slowest variant's requests/s at saturation in a calibration pass (see {@link calibrateFixedRate}), so the load
   * stays below every variant's saturation on whatever machine runs it.
   */
  fixedRate?: number;
  /** The share of the slowest variant's saturation the fixed load offers when `fixedRate` is unset. @default 0.5 */
  fixedShareOfSaturation?: number;
  /** How long the fixed load lasts, in s. */
  fixedSeconds: number;
  saturationSeconds: number;
  /** The Postgres database the users are seeded in (created when missing, kept for the next run). */
  database: string;
  /** Where to create it. */
  adminUrl: string;
  /** Seed of the request stream (each variant-round replays the same one). */
  seed: number;
  /** Extra variables for every instance. */
  env?: Record<string, string>;
}

/** What one variant did in one round. */
export interface VariantRound {
  strategy: Strategy;
  saturationRps: number;
  /** The fixed offered load this round ran at, requests/s. */
  fixedRate: number;
  /** Whether that rate came from the calibration pass (`MixSettings.fixedRate` unset). */
  fixedRateCalibrated: boolean;
  /** Latency at the fixed load, in ms: all requests, and the p99 of reads and of writes alone. */
  fixed: { p50: number; p99: number; max: number; readP99: number; writeP99: number; answered: number; failed: number };
  /** Requests of the fixed-load and saturation phases together (the span the counters below cover). */
  requests: number;
  /** Failed requests over the warm-up, fixed-load and saturation phases. */
  failed: number;
  postgresTransactionsPer1000: number;
  /** Queries on `users` (the API's hoard_db_queries_total) per 1,000 requests. */
  userQueriesPer1000: number;
  /**
   * The fewest queries on `users` that could have given this variant's answers over the same span, per 1,000
   * requests: the acknowledged writes, and one load per version of a row it served for the first time in the
   * round ({@link necessaryLoads}).
   */
  floorQueriesPer1000: number;
  redisCommandsPerRequest: number;
  /** The same by command name (INFO commandstats: `get`, `evalsha`, `publish`...), only those sent in the span. */
  redisCommandsPerName: Record<string, number>;
  /** CPU µs per request over the same span: the 3 instances together, the entry point, Redis (undefined without /proc). */
  cpuMicrosPerRequest: { instances: number | undefined; entryPoint: number | undefined; redis: number | undefined };
  /** CPU the 3 instances used together while idle, % of one core (undefined without /proc). */
  instancesIdleCpuPercent: number | undefined;
  /** Commands a second while no request ran (heartbeats, bus pings, drains): included in the figure above. */
  redisIdlePerSecond: number;
  reads: number;
  writes: number;
  /** Reads older than a write acknowledged before they began (the consistency checker's definition). */
  staleReads: number;
  /** Those stale for longer than the bus delay budget. */
  staleBeyondBudget: number;
  maxStaleMs: number;
  stampede: { loads: number; p99: number; max: number };
}

function phaseLatency(phase: PhaseResult) {
  return {
    p50: percentile(phase.latenciesMs, 0.5),
    p99: percentile(phase.latenciesMs, 0.99),
    max: Math.max(0, ...phase.latenciesMs),
    readP99: percentile(phase.readLatenciesMs, 0.99),
    writeP99: percentile(phase.writeLatenciesMs, 0.99),
    answered: phase.ok,
    failed: phase.failed,
  };
}

/** Reads of `count` ids from the cold tail (never the hottest id), `clients` at a time: compiles the hot paths and opens the sockets. */
async function warmCode(load: MixedLoad, shape: WorkloadShape, clients: number, perClient: number): Promise<void> {
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; i < perClient; i++) await load.read(shape.users - ((client * perClient + i) % Math.floor(shape.users / 2)));
    }),
  );
}

/** The settings a round runs with: the fixed rate known. */
type RoundSettings = MixSettings & { fixedRate: number; fixedRateCalibrated: boolean };

/** A variant's instances on an emptied Redis and outbox, with a client for its entry point; stopped after `use`. */
async function withVariant<R>(
  strategy: Strategy,
  settings: MixSettings,
  cluster: ClusterSettings,
  redis: Redis,
  use: (variant: VariantCluster, client: TrpcClient) => Promise<R>,
): Promise<R> {
  await clearOutbox(cluster.databaseUrl);
  await redis.flushall();
  const variant = await VariantCluster.start(strategy, cluster);
  const client = new TrpcClient(variant.entryUrl, cluster.adminToken, Math.max(settings.concurrency, settings.stampedeClients));
  try {
    return await use(variant, client);
  } finally {
    client.close();
    await variant.stop();
  }
}

/**
 * The calibration pass: each variant once, as a round starts it (new instances, emptied Redis, code warmed, the
 * warm-up), then `saturationSeconds` of the closed loop. Resolves `share` of the slowest one's requests/s.
 */
export async function calibrateFixedRate(
  settings: MixSettings,
  cluster: ClusterSettings,
  redis: Redis,
  clock: VersionClock,
  share: number,
  onVariant?: (strategy: Strategy, saturationRps: number) => void,
): Promise<number> {
  let slowest = Number.POSITIVE_INFINITY;
  for (const strategy of settings.strategies) {
    const rps = await withVariant(strategy, settings, cluster, redis, async (_variant, client) => {
      const load = new MixedLoad(client, new Workload(settings.shape, settings.seed), new History(), clock);
      await warmCode(load, settings.shape, settings.stampedeClients, 3);
      await load.closedLoop(settings.concurrency, settings.warmupSeconds);
      const saturation = await load.closedLoop(settings.concurrency, settings.saturationSeconds);
      return saturation.ok / saturation.seconds;
    });
    onVariant?.(strategy, rps);
    slowest = Math.min(slowest, rps);
  }
  return Math.max(1, Math.round(slowest * share));
}

async function runVariant(
  strategy: Strategy,
  settings: RoundSettings,
  cluster: ClusterSettings,
  redis: Redis,
  redisPid: number | undefined,
  admin: pg.Client,
  clock: VersionClock,
) {
  return withVariant(strategy, settings, cluster, redis, async (variant, client) => {
    const history = new History();
    const workload = new Workload(settings.shape, settings.seed);
    const load = new MixedLoad(client, workload, history, clock);
    await warmCode(load, settings.shape, settings.stampedeClients, 3);

    // Cold-start stampede: the hottest id has never been read (Redis was flushed, the instances are new).
    const before = (await variant.databaseQueries()).get("user.findById") ?? 0;
    const started = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: settings.stampedeClients }, async () => {
        await load.read(workload.hottestId);
        return performance.now() - started;
      }),
    );
    const stampede = {
      loads: ((await variant.databaseQueries()).get("user.findById") ?? 0) - before,
      p99: percentile(latencies, 0.99),
      max: Math.max(...latencies),
    };

    const warm = await load.closedLoop(settings.concurrency, settings.warmupSeconds);
    // The settle pause doubles as an idle window: what Redis runs with no request (heartbeats, bus pings).
    const idleFrom = await redisCommands(redis);
    const idleStarted = performance.now();
    const idleCpuFrom = variant.cpuMicros().instances;
    await settlePostgresStats();
    const idleCpuTo = variant.cpuMicros().instances;
    const instancesIdleCpuPercent =
      idleCpuFrom === undefined || idleCpuTo === undefined
        ? undefined
        : (idleCpuTo - idleCpuFrom) / ((performance.now() - idleStarted) * 10);
    const redisIdlePerSecond = ((await redisCommands(redis)) - idleFrom - 1) / ((performance.now() - idleStarted) / 1_000);
    const from = performance.now();
    const counters0 = {
      xacts: await postgresTransactions(admin, settings.database),
      redis: await redisCommandsByName(redis),
      queries: [...(await variant.databaseQueries()).values()].reduce((a, b) => a + b, 0),
      cpu: { ...variant.cpuMicros(), redis: processCpuMicros(redisPid) },
    };
    const fixed = await load.openLoop(settings.fixedRate, settings.fixedSeconds);
    const saturation = await load.closedLoop(settings.concurrency, settings.saturationSeconds);
    await settlePostgresStats();
    const requests = fixed.ok + fixed.failed + saturation.ok + saturation.failed;
    const xacts = (await postgresTransactions(admin, settings.database)) - counters0.xacts;
    const redisByName = await redisCommandsByName(redis);
    const redisCommandsPerName: Record<string, number> = {};
    let redisDelta = 0;
    for (const [name, calls] of redisByName) {
      // The INFO that read the counters at the start is counted; the one that read them at the end is not yet.
      const delta = calls - (counters0.redis.get(name) ?? 0) - (name === "info" ? 1 : 0);
      if (delta <= 0) continue;
      redisDelta += delta;
      redisCommandsPerName[name] = delta / requests;
    }
    const queries = [...(await variant.databaseQueries()).values()].reduce((a, b) => a + b, 0) - counters0.queries;
    const stale = countStale(history, from);
    // Each acknowledged write is one update query, whatever the variant.
    const writesAcknowledged = history.writes.filter((write) => write.startAt >= from).length;
    const cpu = { ...variant.cpuMicros(), redis: processCpuMicros(redisPid) };
    const perRequest = (end: number | undefined, start: number | undefined) =>
      end === undefined || start === undefined ? undefined : (end - start) / requests;
    const result: VariantRound = {
      strategy,
      saturationRps: saturation.ok / saturation.seconds,
      fixedRate: settings.fixedRate,
      fixedRateCalibrated: settings.fixedRateCalibrated,
      fixed: phaseLatency(fixed),
      requests,
      failed: warm.failed + fixed.failed + saturation.failed,
      postgresTransactionsPer1000: (xacts * 1_000) / requests,
      userQueriesPer1000: (queries * 1_000) / requests,
      floorQueriesPer1000: ((necessaryLoads(history, from) + writesAcknowledged) * 1_000) / requests,
      redisCommandsPerRequest: redisDelta / requests,
      redisCommandsPerName,
      instancesIdleCpuPercent,
      cpuMicrosPerRequest: {
        instances: perRequest(cpu.instances, counters0.cpu.instances),
        entryPoint: perRequest(cpu.entryPoint, counters0.cpu.entryPoint),
        redis: perRequest(cpu.redis, counters0.cpu.redis),
      },
      redisIdlePerSecond,
      reads: history.reads.filter((read) => read.startAt >= from).length,
      writes: history.writes.filter((write) => write.startAt >= from).length,
      staleReads: stale.all,
      staleBeyondBudget: stale.beyondBudget,
      maxStaleMs: stale.maxMs,
      stampede,
    };
    return result;
  });
}

/**
 * The same API four ways under one mixed workload: for each round, each
 * strategy in turn (rotating the order) gets a Redis of its own emptied, 3 new
 * instances behind the round-robin entry point, the cold-start stampede, a
 * warm-up, the fixed offered load and the closed-loop saturation run. The
 * Redis is this benchmark's own redis-server (INFO commandstats counts only
 * the variant's commands); Postgres is shared, the users seeded once.
 */
export async function runMix(
  settings: MixSettings,
  onRound?: (round: VariantRound) => void,
  onCalibration?: (strategy: Strategy, saturationRps: number) => void,
): Promise<VariantRound[]> {
  const databaseUrl = `${settings.adminUrl.replace(/\/[^/]*$/, "")}/${settings.database}`;
  await ensureDatabase(settings.adminUrl, settings.database);
  const server = await OwnRedisServer.start();
  const redis = new Redis(server.url);
  const admin = new pg.Client({ connectionString: settings.adminUrl });
  await admin.connect();
  const cluster: ClusterSettings = {
    databaseUrl,
    redisUrl: server.url,
    adminToken: randomBytes(24).toString("hex"),
    cachePrefix: "bench-mix",
    dbLatencyMs: settings.dbLatencyMs,
    instances: settings.instances,
    ...(settings.env ? { env: settings.env } : {}),
  };
  try {
    // The API's migrations, then the users (seeded once; later runs reuse them).
    await migrateDatabase(databaseUrl);
    await seedBenchUsers(databaseUrl, settings.shape.users);
    const clock = new VersionClock();
    const fixedRateCalibrated = settings.fixedRate === undefined;
    const fixedRate =
      settings.fixedRate ??
      (await calibrateFixedRate(settings, cluster, redis, clock, settings.fixedShareOfSaturation ?? 0.5, onCalibration));
    const roundSettings: RoundSettings = { ...settings, fixedRate, fixedRateCalibrated };
    const rounds: VariantRound[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      for (let k = 0; k < settings.strategies.length; k++) {
        const strategy = settings.strategies[(round + k) % settings.strategies.length] as Strategy;
        const result = await runVariant(strategy, roundSettings, cluster, redis, server.pid, admin, clock);
        rounds.push(result);
        onRound?.(result);
      }
    }
    return rounds;
  } finally {
    await admin.end();
    redis.disconnect();
    await server.stop();
  }
}

export { DEFAULT_SHAPE };
