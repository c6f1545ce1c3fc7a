import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUS_DELAY_BUDGET_MS } from "@hoard/api";
import { variantsChart } from "../api-mix/chart.js";
import { DEFAULT_SHAPE, type MixSettings, runMix, type VariantRound } from "../api-mix/run-mix.js";
import { STRATEGIES, STRATEGY_LABELS, STRATEGY_NAMES, type Strategy } from "../api-mix/strategies.js";
import { scale } from "../fixtures.js";
import { formatNumber, summarize } from "../harness.js";
import type { RowReport } from "../report.js";

const CHART = fileURLToPath(new URL("../../results/api-mix.svg", import.meta.url));

/** BENCH_MIX_STRATEGIES (e.g. `recipe,hoard`) runs only those variants, for a quick local look; unset runs all four. */
function selectedStrategies(): readonly Strategy[] {
  const names = process.env.BENCH_MIX_STRATEGIES?.split(",").map((name) => name.trim());
  if (!names) return STRATEGIES;
  const unknown = names.filter((name) => !(STRATEGIES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_MIX_STRATEGIES: use some of ${STRATEGIES.join(", ")} (got ${unknown.join(", ")})`);
  return STRATEGIES.filter((strategy) => names.includes(strategy));
}

/** BENCH_MIX_RATE, or `--quick`'s 150 requests/s; otherwise nothing, and the run calibrates the fixed load. */
function fixedRateSetting(): { fixedRate?: number } {
  const env = process.env.BENCH_MIX_RATE;
  if (env !== undefined) {
    const rate = Number(env);
    if (!Number.isFinite(rate) || rate <= 0) throw new Error(`BENCH_MIX_RATE: a number of requests/s above 0 (got "${env}")`);
    return { fixedRate: rate };
  }
  const quick = scale(0, 150);
  return quick > 0 ? { fixedRate: quick } : {};
}

/**
 * The settings of `pnpm bench` (and `--quick`); BENCH_MIX_RATE and BENCH_MIX_USERS override the load and the users,
 * BENCH_MIX_STRATEGIES the variants.
 */
export function benchMixSettings(): MixSettings {
  return {
    strategies: selectedStrategies(),
    rounds: scale(3, 1),
    shape: { ...DEFAULT_SHAPE, users: Number(process.env.BENCH_MIX_USERS ?? DEFAULT_SHAPE.users) },
    dbLatencyMs: 2,
    instances: 3,
    concurrency: 64,
    stampedeClients: 200,
    warmupSeconds: scale(4, 1),
    // Unset: half the slowest variant's saturation, measured in a calibration pass (--quick: 150, no pass).
    ...fixedRateSetting(),
    fixedSeconds: scale(8, 2),
    saturationSeconds: scale(8, 2),
    database: "hoard_bench4",
    adminUrl: process.env.BENCH_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    seed: 15,
  };
}

/** Medians over the rounds of one strategy (sums for stale reads, the worst for maxima). */
export interface VariantSummary {
  strategy: Strategy;
  name: string;
  rounds: number;
  saturationRps: ReturnType<typeof summarize>;
  p50: number;
  p99: number;
  max: number;
  /** p99 of reads alone and of writes alone at the fixed load (medians of rounds). */
  readP99: number;
  writeP99: number;
  postgresTransactionsPer1000: number;
  userQueriesPer1000: number;
  /** The fewest queries on users that could have given the variant's answers (run-mix's `floorQueriesPer1000`). */
  floorQueriesPer1000: number;
  redisCommandsPerRequest: number;
  redisIdlePerSecond: number;
  /** CPU (user + system) per request of the 3 instances together and of Redis, in µs; NaN where /proc could not tell. */
  instancesCpuMicros: number;
  redisCpuMicros: number;
  reads: number;
  staleReads: number;
  staleBeyondBudget: number;
  maxStaleMs: number;
  failed: number;
  stampedeLoads: ReturnType<typeof summarize>;
  stampedeP99: number;
}

export function summarizeVariants(rounds: VariantRound[]): VariantSummary[] {
  const strategies = STRATEGIES.filter((strategy) => rounds.some((round) => round.strategy === strategy));
  return strategies.map((strategy) => {
    const mine = rounds.filter((round) => round.strategy === strategy);
    const median = (pick: (round: VariantRound) => number) => summarize(strategy, mine.map(pick)).median;
    const sum = (pick: (round: VariantRound) => number) => mine.reduce((total, round) => total + pick(round), 0);
    return {
      strategy,
      name: STRATEGY_NAMES[strategy],
      rounds: mine.length,
      saturationRps: summarize(
        strategy,
        mine.map((round) => round.saturationRps),
      ),
      p50: median((round) => round.fixed.p50),
      p99: median((round) => round.fixed.p99),
      max: Math.max(...mine.map((round) => round.fixed.max)),
      readP99: median((round) => round.fixed.readP99),
      writeP99: median((round) => round.fixed.writeP99),
      postgresTransactionsPer1000: median((round) => round.postgresTransactionsPer1000),
      userQueriesPer1000: median((round) => round.userQueriesPer1000),
      floorQueriesPer1000: median((round) => round.floorQueriesPer1000),
      redisCommandsPerRequest: median((round) => round.redisCommandsPerRequest),
      redisIdlePerSecond: median((round) => round.redisIdlePerSecond),
      instancesCpuMicros: median((round) => round.cpuMicrosPerRequest.instances ?? Number.NaN),
      redisCpuMicros: median((round) => round.cpuMicrosPerRequest.redis ?? Number.NaN),
      reads: sum((round) => round.reads),
      staleReads: sum((round) => round.staleReads),
      staleBeyondBudget: sum((round) => round.staleBeyondBudget),
      maxStaleMs: Math.max(...mine.map((round) => round.maxStaleMs)),
      failed: sum((round) => round.failed),
      stampedeLoads: summarize(
        strategy,
        mine.map((round) => round.stampede.loads),
      ),
      stampedeP99: median((round) => round.stampede.p99),
    };
  });
}

const ratio = (a: number, b: number) => (b === 0 ? Number.POSITIVE_INFINITY : a / b);

/** Rows 10 and 11 from measured rounds, and the chart row 10 shows (the harness test renders them from a tiny run). */
export function apiMixRows(settings: MixSettings, rounds: VariantRound[]): { rows: RowReport[]; chart: string } {
  const summaries = summarizeVariants(rounds);
  const of = (strategy: Strategy) => summaries.find((summary) => summary.strategy === strategy);
  const hoard = of("hoard");
  const recipe = of("recipe");
  const bento = of("bentocache");
  const shape = settings.shape;
  const fixedRate = rounds[0]?.fixedRate ?? settings.fixedRate ?? Number.NaN;
  const fixedRateText = rounds[0]?.fixedRateCalibrated
    ? `${formatNumber(fixedRate)} requests/s offered for ${settings.fixedSeconds} s (open loop): ${formatNumber((settings.fixedShareOfSaturation ?? 0.5) * 100)} % of the slowest variant's requests/s at saturation in a calibration pass before the rounds (each variant once, started as a round starts it)`
    : `${formatNumber(fixedRate)} requests/s offered for ${settings.fixedSeconds} s (open loop)`;
  const workload = `${formatNumber(shape.users)} users, Zipf s = ${shape.zipfS} ids, ${shape.writeShare * 100} % updates, ${shape.missingShare * 100} % of reads for missing ids, ${settings.dbLatencyMs} ms database latency per load, ${settings.instances} instances per variant behind the round-robin entry point`;
  const versus =
    hoard && recipe && bento
      ? {
          rps: ratio(hoard.saturationRps.median, recipe.saturationRps.median),
          p99: ratio(hoard.p99, recipe.p99),
          queries: ratio(hoard.postgresTransactionsPer1000, recipe.postgresTransactionsPer1000),
          rpsBento: ratio(hoard.saturationRps.median, bento.saturationRps.median),
          hoardOverFloor: ratio(hoard.userQueriesPer1000, hoard.floorQueriesPer1000),
          recipeOverFloor: ratio(recipe.userQueriesPer1000, recipe.floorQueriesPer1000),
          floorOverRecipe: ratio(hoard.floorQueriesPer1000, recipe.userQueriesPer1000),
        }
      : undefined;
  const met =
    versus && hoard && bento
      ? versus.rps >= 1.5 &&
        versus.p99 <= 0.5 &&
        versus.queries <= 0.5 &&
        hoard.staleBeyondBudget === 0 &&
        versus.rpsBento > 1 &&
        hoard.staleBeyondBudget <= bento.staleBeyondBudget
      : undefined;
  const label = (s: VariantSummary) => STRATEGY_LABELS[s.strategy];
  const chart = variantsChart("The same API four ways (median of rounds)", [
    {
      title: "requests/s at saturation",
      better: "more",
      unit: "req/s",
      values: summaries.map((s) => ({ label: label(s), value: s.saturationRps.median })),
    },
    {
      title: `p99 at ${formatNumber(fixedRate)} req/s offered`,
      better: "less",
      unit: "ms",
      values: summaries.map((s) => ({ label: label(s), value: s.p99 })),
    },
    {
      title: "Postgres transactions / 1,000 requests",
      better: "less",
      unit: "",
      values: summaries.map((s) => ({ label: label(s), value: s.postgresTransactionsPer1000 })),
    },
  ]);
  const mix: RowReport = {
    id: 10,
    title: "The same API four ways under one mixed workload",
    table: [
      `Workload: ${workload}. Each round runs every variant in turn (rotating order) on 3 new instances and an emptied Redis; ${settings.rounds} round(s); ${settings.concurrency} closed-loop clients for ${settings.warmupSeconds} s of warm-up and ${settings.saturationSeconds} s at saturation; ${fixedRateText}.`,
      "",
      "![requests/s, p99 and Postgres transactions per variant](bench/results/api-mix.svg)",
      "",
      `| variant | requests/s at saturation, median (min–max) | p50 / p99 / max at ${formatNumber(fixedRate)} req/s (ms) | p99 of reads / of writes (ms) | Postgres transactions / 1,000 requests | queries on users / 1,000 requests (floor) | Redis commands / request (idle: commands/s) | CPU µs / request: instances / Redis | stale reads: beyond ${BUS_DELAY_BUDGET_MS} ms / all / reads checked (longest, ms) | failed requests |`,
      "|---|---|---|---|---|---|---|---|---|---|",
      ...summaries.map(
        (s) =>
          `| ${s.name} | ${formatNumber(s.saturationRps.median)} (${formatNumber(s.saturationRps.min)}–${formatNumber(s.saturationRps.max)}) | ${formatNumber(s.p50, 1)} / ${formatNumber(s.p99, 1)} / ${formatNumber(s.max, 1)} | ${formatNumber(s.readP99, 1)} / ${formatNumber(s.writeP99, 1)} | ${formatNumber(s.postgresTransactionsPer1000)} | ${formatNumber(s.userQueriesPer1000)} (${formatNumber(s.floorQueriesPer1000)}) | ${formatNumber(s.redisCommandsPerRequest, 2)} (${formatNumber(s.redisIdlePerSecond, 1)}) | ${formatNumber(s.instancesCpuMicros)} / ${formatNumber(s.redisCpuMicros)} | ${s.staleBeyondBudget} / ${s.staleReads} / ${formatNumber(s.reads)} (${formatNumber(s.maxStaleMs)}) | ${s.failed} |`,
      ),
    ],
    target:
      "Hoard >= 1.5x the recipe's requests/s, <= 0.5x its p99, <= 0.5x its Postgres transactions, 0 stale reads beyond the bus budget; ahead of bentocache on requests/s and stale reads",
    result: versus
      ? `Hoard vs the recipe: ${formatNumber(versus.rps, 2)}x requests/s, ${formatNumber(versus.p99, 2)}x p99, ${formatNumber(versus.queries, 2)}x Postgres transactions; ${hoard?.staleBeyondBudget} stale reads beyond the budget (bentocache ${bento?.staleBeyondBudget}, recipe ${recipe?.staleBeyondBudget}); ${formatNumber(versus.rpsBento, 2)}x bentocache's requests/s. Queries on users: Hoard ${formatNumber(versus.hoardOverFloor, 2)}x its floor, the recipe ${formatNumber(versus.recipeOverFloor, 2)}x its own; Hoard's floor is ${formatNumber(versus.floorOverRecipe, 2)}x the recipe's queries`
      : "not every variant ran",
    ...(met === undefined ? {} : { met }),
    bars: versus
      ? [
          { label: "API mix: Hoard / recipe requests/s", ratio: versus.rps },
          { label: "API mix: Hoard / recipe p99", ratio: versus.p99 },
          { label: "API mix: Hoard / recipe Postgres tx", ratio: versus.queries },
          { label: "API mix: Hoard / bentocache requests/s", ratio: versus.rpsBento },
        ]
      : [],
    notes: [
      "Variants: no cache (every read a Postgres load); the seeds' recipe (ioredis GET, SETEX 300 on a miss, DEL after a write; no L1, no lock, no negative caching); bentocache 1.6.1 as its docs set up a multi-tier cache (memory L1 of 10 MB, Redis L2, Redis bus; getOrSet with ttl 5m in a `users` namespace, delete after a write); Hoard, the API as shipped. All four run the same built API (same procedures, schema, pools, middleware); the other three replace only the read/write path of user.byId/create/update/delete (`StartOptions.profiles`, bench/src/api-mix/variants/) and do not start Hoard's outbox drain or database listener.",
      "Every read through the cache is a load of one row followed by the lab's database latency (DB_LATENCY_MS), the same function for every variant; writes are user.update with a new version in the display name, at most one in flight per id.",
      "Postgres transactions come from pg_stat_database (xact_commit + xact_rollback of the benchmark database, read after the backends reported); each autocommitted query is one, and a Hoard write's outbox settle is one more. Queries on users are the instances' hoard_db_queries_total. Both cover the fixed-load and saturation phases.",
      "The floor in brackets is the fewest queries on users that could have given the variant's answers over the same requests: its acknowledged writes (one update each), and one load for each version of a row, or its absence, that it served for the first time in the round (bench/src/api-mix/load-floor.ts); every version a cache serves was loaded at least once, and a load shared by several reads counts once. Every round starts on empty caches and lasts seconds, so with 100,000 ids most of the floor is first reads, which no cache avoids: it bounds how far below the recipe any cache's database load can go here. The recipe sits above its floor by its reads of absent ids (it loads them every time) and its duplicate loads; a longer round would lower the floor for every variant alike.",
      "Redis commands come from INFO commandstats of the benchmark's own redis-server (nothing else uses it) over the same phases, including what the instances send when idle (heartbeats, bus pings), shown in brackets as commands/s. INFO commandstats also counts the commands a Lua script runs: Hoard's L2 hit is 1 (GET); its L2 miss is 3 round trips counted as 14 (GET; the lock-and-lease script, 5; the fenced fill script with its bus message, 8); its write is 4 round trips counted as 12 (the delete script, the list tag's sequence and bump, the bus message), where the recipe counts 1 (GET) per hit, 2 per miss and 1 per write.",
      "CPU per request is the user + system time of the 3 instances together and of redis-server (/proc/<pid>/stat) over the same phases, divided by the requests answered. On these 2 shared cores requests/s follows the instances' CPU per request: Redis is a few percent of it.",
      `Stale reads use the consistency checker's definition (apps/api/src/consistency/history.ts): a read that returned an older version than a write acknowledged before the read began; the budget for bus delay is ${BUS_DELAY_BUDGET_MS} ms. Reads through the entry point cannot say which instance served them, so read-your-writes is not told apart.`,
      "The load generator (node:http, keep-alive) runs in the benchmark process on the same cores as the 3 instances, the entry point, Redis and Postgres.",
    ],
  };
  const stampede: RowReport = {
    id: 11,
    title: "Cold-start stampede: every client asks for the hottest id at once",
    table: [
      `${settings.stampedeClients} clients at once through the entry point, right after the variant's instances started on an emptied Redis (code warmed on other ids); ${settings.dbLatencyMs} ms database latency.`,
      "",
      "| variant | Postgres loads of the hot id, median (min–max) over rounds | caller p99 (ms, median of rounds) |",
      "|---|---|---|",
      ...summaries.map(
        (s) =>
          `| ${s.name} | ${formatNumber(s.stampedeLoads.median)} (${formatNumber(s.stampedeLoads.min)}–${formatNumber(s.stampedeLoads.max)}) | ${formatNumber(s.stampedeP99, 1)} |`,
      ),
    ],
    target: "report the database load per variant",
    result: hoard
      ? `Hoard: ${formatNumber(hoard.stampedeLoads.max)} load(s) at most; ${summaries.map((s) => `${s.strategy} ${formatNumber(s.stampedeLoads.median)}`).join(", ")}`
      : "see table",
    notes: ["Loads are the instances' user.findById queries (hoard_db_queries_total) between just before and just after the stampede."],
  };
  return { rows: [mix, stampede], chart };
}

/** Rows 10 and 11: runs the benchmark with `pnpm bench`'s settings. */
export async function apiMix(): Promise<RowReport[]> {
  const settings = benchMixSettings();
  const rounds = await runMix(
    settings,
    (round) => {
      console.log(
        `   ${round.strategy}: ${formatNumber(round.saturationRps)} req/s at saturation, p99 ${formatNumber(round.fixed.p99, 1)} ms at ${formatNumber(round.fixedRate)} req/s (reads ${formatNumber(round.fixed.readP99, 1)}, writes ${formatNumber(round.fixed.writeP99, 1)}), ${round.staleBeyondBudget}/${round.staleReads} stale, stampede ${round.stampede.loads} load(s)`,
      );
      const perName = Object.entries(round.redisCommandsPerName).sort(([, a], [, b]) => b - a);
      console.log(
        `   ${round.strategy}: Redis ${formatNumber(round.redisCommandsPerRequest, 2)} commands/request (${perName.map(([name, calls]) => `${name} ${formatNumber(calls, 3)}`).join(", ")}), Postgres ${formatNumber(round.postgresTransactionsPer1000)} transactions/1,000 requests (${formatNumber(round.userQueriesPer1000)} of them queries on users), ${round.writes} writes of ${round.requests} requests; CPU µs/request: instances ${formatNumber(round.cpuMicrosPerRequest.instances ?? Number.NaN)}, entry point ${formatNumber(round.cpuMicrosPerRequest.entryPoint ?? Number.NaN)}, Redis ${formatNumber(round.cpuMicrosPerRequest.redis ?? Number.NaN)}; idle instances ${formatNumber(round.instancesIdleCpuPercent ?? Number.NaN, 1)} % of a core`,
      );
    },
    (strategy, rps) => console.log(`   calibration: ${strategy} ${formatNumber(rps)} req/s at saturation`),
  );
  const { rows, chart } = apiMixRows(settings, rounds);
  writeFileSync(CHART, chart);
  return rows;
}
