import { measurePathCosts, PATHS, type PathCost, type PathCostSettings } from "../api-mix/path-costs.js";
import { STRATEGIES, STRATEGY_NAMES, type Strategy } from "../api-mix/strategies.js";
import { QUICK, scale } from "../fixtures.js";
import { formatNumber, spread, summarize } from "../harness.js";
import type { RowReport } from "../report.js";
import { benchMixSettings } from "./api-mix.js";

/**
 * Row 15's settings: row 10's users, database, latency, instances and variants, 16 requests in flight, 3 rounds;
 * `--quick` measures only the two the result compares (unless BENCH_MIX_STRATEGIES names others), once, so it stays quick.
 */
export function pathCostSettings(): PathCostSettings {
  const mix = benchMixSettings();
  const compared = mix.strategies.filter((strategy) => strategy === "recipe" || strategy === "hoard");
  return {
    strategies: QUICK && !process.env.BENCH_MIX_STRATEGIES && compared.length > 0 ? compared : mix.strategies,
    users: mix.shape.users,
    dbLatencyMs: mix.dbLatencyMs,
    instances: mix.instances,
    concurrency: 16,
    requests: scale(1_200, 500),
    rounds: scale(3, 1),
    database: mix.database,
    adminUrl: mix.adminUrl,
  };
}

/** Row 15 from measured costs (the harness test renders it from a tiny run). */
export function pathCostRow(settings: PathCostSettings, costs: PathCost[]): RowReport {
  const strategies = STRATEGIES.filter((strategy) => costs.some((cost) => cost.strategy === strategy));
  // Medians over the rounds, per variant and path.
  const of = (strategy: Strategy, path: string) => {
    const rounds = costs.filter((cost) => cost.strategy === strategy && cost.path === path);
    if (rounds.length === 0) return undefined;
    return {
      cpu: summarize(
        `${strategy} ${path}`,
        rounds.map((cost) => cost.instancesCpuMicros),
      ),
      redisCommands: summarize(
        `${strategy} ${path}`,
        rounds.map((cost) => cost.redisCommands),
      ).median,
    };
  };
  const cell = (cost: ReturnType<typeof of>) => (cost ? `${spread(cost.cpu)}; ${formatNumber(cost.redisCommands, 2)}` : "–");
  const versus = PATHS.map((path) => {
    const hoard = of("hoard", path);
    const recipe = of("recipe", path);
    return hoard && recipe ? `${path} ${formatNumber(hoard.cpu.median / recipe.cpu.median, 2)}x` : undefined;
  }).filter((part) => part !== undefined);
  return {
    id: 15,
    title: "CPU per request by path: row 10's kinds of request, each alone",
    table: [
      `${settings.instances} instances per variant behind the round-robin entry point, ${settings.concurrency} requests in flight, ${formatNumber(settings.requests)} requests per path (writes: ${formatNumber(settings.requests / 4)}), ${settings.dbLatencyMs} ms database latency per load; ${settings.rounds} round(s), each running every variant on new instances (rotating order).`,
      "",
      `| path | ${strategies.map((strategy) => STRATEGY_NAMES[strategy]).join(" | ")} |`,
      `|---|${strategies.map(() => "---|").join("")}`,
      ...PATHS.map((path) => `| ${path} | ${strategies.map((strategy) => cell(of(strategy, path))).join(" | ")} |`),
    ],
    target: "none: it says where row 10's CPU per request goes",
    result: versus.length > 0 ? `Hoard / recipe CPU per request: ${versus.join(", ")}` : "not every variant ran",
    notes: [
      "Each cell: user + system CPU µs of the 3 instances together per request (/proc/<pid>/stat), median (min–max) over the rounds; then the median Redis commands per request (INFO commandstats, which counts the commands a Lua script runs). Ratios are of the medians.",
      "Hot and absent ids are read from each instance directly right before their path is measured, so every instance holds them in L1 where a variant has one (an absent id is cached for 5 s, the API's negativeTtlMs).",
      "hit: 30 ids read over and over after a first read (an L1 hit for Hoard and bentocache, a Redis GET for the recipe, a Postgres load without a cache). miss: ids nobody read before, each read once (the load and the fill). missing id: 50 ids with no user, read over and over (a negative-cache hit where a variant has one; the recipe and no cache load every time). write: user.update of ids nobody reads (the update, then each variant's invalidation: Hoard's outbox settle, its delete script and the list tag's bump, and every instance's handling of the bus messages and database notifications).",
      "Row 10's CPU per request is roughly these weighted by its mix: 5 % writes, 2 % of reads for absent ids, and its queries on users per 1,000 requests say how many of the other reads were misses in its cold 20 s rounds; the rest were hits.",
    ],
  };
}

/** Row 15 with `pnpm bench`'s settings. */
export async function pathCosts(): Promise<RowReport> {
  const settings = pathCostSettings();
  const costs = await measurePathCosts(settings);
  for (const cost of costs)
    console.log(
      `   round ${cost.round + 1}, ${cost.strategy} ${cost.path}: ${formatNumber(cost.instancesCpuMicros)} µs CPU/request, ${formatNumber(cost.redisCommands, 2)} Redis commands/request`,
    );
  return pathCostRow(settings, costs);
}
