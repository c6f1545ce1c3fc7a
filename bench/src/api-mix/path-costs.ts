import { randomBytes } from "node:crypto";
import { migrateDatabase } from "@hoard/api";
import { OwnRedisServer } from "@hoard/test-servers";
import { Redis } from "ioredis";
import { TrpcClient } from "./client.js";
import { VariantCluster } from "./cluster.js";
import { redisCommands } from "./counters.js";
import { clearOutbox, ensureDatabase, seedBenchUsers } from "./database.js";
import type { Strategy } from "./strategies.js";

/** The kinds of request row 10's workload is made of, each measured alone. */
export const PATHS = ["hit", "miss", "missing id", "write"] as const;
export type RequestPath = (typeof PATHS)[number];

/** Ids the hits read over and over, and ids with no user the absent reads do. */
const HOT_IDS = 30;
const ABSENT_IDS = 50;

/** What one kind of request cost one variant. */
export interface PathCost {
  strategy: Strategy;
  path: RequestPath;
  /** Which round (0-based) it was measured in. */
  round: number;
  requests: number;
  /** User + system CPU of the 3 instances together per request, in µs (NaN without /proc). */
  instancesCpuMicros: number;
  /** Redis commands per request (INFO commandstats, which counts a script's own commands too). */
  redisCommands: number;
}

/** How the per-path measurement runs. */
export interface PathCostSettings {
  strategies: readonly Strategy[];
  /** Users seeded (ids 1..users), as row 10's workload. */
  users: number;
  dbLatencyMs: number;
  instances: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests per path (writes: a quarter of it). */
  requests: number;
  /** Rounds: each runs every variant once, in an order rotated by one each round. */
  rounds: number;
  database: string;
  adminUrl: string;
}

/**
 * Row 10 mixes hits, first reads, reads of absent ids and writes; this sends each kind alone to a
 * variant's 3 instances (behind the same entry point) and divides the instances' CPU by the
 * requests, so the mix's CPU per request can be read as the sum of its parts. Hits read 30 ids
 * already read once; misses read ids no earlier request touched; absent ids are 50 ids above the
 * users, read over and over (negative caching answers them where a variant has it); writes update
 * ids nobody reads, back to the seeded display name (`v0`), so row 10's consistency check is not
 * disturbed when it runs after. One process each for the instances and the entry point, like row 10.
 * Repeated over `rounds`, each running every variant on new instances, in an order rotated by one each round.
 */
export async function measurePathCosts(settings: PathCostSettings): Promise<PathCost[]> {
  // Each variant reads and writes ids of its own in each round (2.5 x `requests` of them), all from the upper half of the users.
  const idsNeeded = settings.rounds * settings.strategies.length * settings.requests * 2.5;
  if (idsNeeded > settings.users / 2)
    throw new Error(
      `path costs: ${settings.rounds} rounds x ${settings.strategies.length} variants x ${settings.requests} requests need ${idsNeeded * 2} users or more (got ${settings.users})`,
    );
  const databaseUrl = `${settings.adminUrl.replace(/\/[^/]*$/, "")}/${settings.database}`;
  await ensureDatabase(settings.adminUrl, settings.database);
  await migrateDatabase(databaseUrl);
  await seedBenchUsers(databaseUrl, settings.users);
  const server = await OwnRedisServer.start();
  const redis = new Redis(server.url);
  const adminToken = randomBytes(24).toString("hex");
  const costs: PathCost[] = [];
  // No variant reads an id another one read (or wrote): none finds what another left in Postgres's buffers.
  let nextFreshId = Math.floor(settings.users / 2);
  try {
    const runs = Array.from({ length: settings.rounds }, (_, round) =>
      settings.strategies.map((_, i) => ({ round, strategy: settings.strategies[(i + round) % settings.strategies.length] as Strategy })),
    ).flat();
    for (const { round, strategy } of runs) {
      await clearOutbox(databaseUrl);
      await redis.flushall();
      const variant = await VariantCluster.start(strategy, {
        databaseUrl,
        redisUrl: server.url,
        adminToken,
        cachePrefix: "bench-paths",
        dbLatencyMs: settings.dbLatencyMs,
        instances: settings.instances,
      });
      const client = new TrpcClient(variant.entryUrl, adminToken, settings.concurrency);
      const read = (id: number) => readOne(client, id);
      const measure = async (path: RequestPath, count: number, send: (i: number) => Promise<void>) => {
        const cpuBefore = variant.cpuMicros().instances;
        const redisBefore = await redisCommands(redis);
        await inParallel(count, settings.concurrency, send);
        const cpuAfter = variant.cpuMicros().instances;
        // The INFO that read the counters at the start is counted; the one at the end is not yet.
        const commands = (await redisCommands(redis)) - redisBefore - 1;
        costs.push({
          strategy,
          path,
          round,
          requests: count,
          instancesCpuMicros: cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : (cpuAfter - cpuBefore) / count,
          redisCommands: commands / count,
        });
      };
      try {
        const fresh = (count: number) => {
          const first = nextFreshId;
          nextFreshId += count;
          return first;
        };
        // Compiles every path before anything is measured (the first requests of a new process cost several times more).
        const warmFrom = fresh(settings.requests);
        await inParallel(settings.requests, settings.concurrency, (i) => read(warmFrom + i));
        await inParallel(settings.requests, settings.concurrency, (i) => read(1 + (i % HOT_IDS)));
        await inParallel(settings.requests / 4, settings.concurrency, (i) => read(settings.users + 1 + (i % ABSENT_IDS)));
        const warmWrites = fresh(settings.requests / 4);
        await inParallel(settings.requests / 4, settings.concurrency, (i) => write(client, warmWrites + i));
        // Every hot id, or every absent id, read from each instance directly (not through the round robin, which
        // may send an id to the same instance every time), right before its path is measured: the measured hits
        // and absent reads then find them in every instance's L1 where a variant has one. (An absent id is cached
        // for only 5 s, the API's negativeTtlMs, which the other phases can outlast on a busy machine.)
        const intoEveryInstance = async (first: number, count: number) => {
          for (const url of variant.instanceUrls) {
            const direct = new TrpcClient(url, adminToken, settings.concurrency);
            try {
              await inParallel(count, settings.concurrency, (i) => readOne(direct, first + i));
            } finally {
              direct.close();
            }
          }
        };
        await intoEveryInstance(1, HOT_IDS);
        await measure("hit", settings.requests, (i) => read(1 + (i % HOT_IDS)));
        const missFrom = fresh(settings.requests);
        await measure("miss", settings.requests, (i) => read(missFrom + i));
        await intoEveryInstance(settings.users + 1, ABSENT_IDS);
        await measure("missing id", settings.requests, (i) => read(settings.users + 1 + (i % ABSENT_IDS)));
        const writeFrom = fresh(settings.requests / 4);
        await measure("write", settings.requests / 4, (i) => write(client, writeFrom + i));
      } finally {
        client.close();
        await variant.stop();
      }
    }
    return costs;
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

async function readOne(client: TrpcClient, id: number): Promise<void> {
  const answer = await client.query("user.byId", { id });
  if (answer.status !== 200) throw new Error(`user.byId ${id} answered ${answer.status}`);
}

async function write(client: TrpcClient, id: number): Promise<void> {
  const answer = await client.mutation("user.update", { id, patch: { displayName: "v0" } });
  if (answer.status !== 200) throw new Error(`user.update ${id} answered ${answer.status}`);
}

/** Calls `send(0..count-1)`, `concurrency` at a time (each send throws on an answer other than 200). */
async function inParallel(count: number, concurrency: number, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        await send(next++);
      }
    }),
  );
}
