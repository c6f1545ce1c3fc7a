import { measurePathCosts, PATHS, type PathCost, type PathCostSettings } from "../api-mix/path-costs.js";
import { STRATEGIES, STRATEGY_NAMES, type Strategy } from "../api-mix/strategies.js";
import { QUICK, scale } from "../fixtures.js";
import { formatNumber } from "../harness.js";
import type { RowReport } from "../report.js";
import { benchMixSettings } from "./api-mix.js";

/**
 * Row 15's settings: row 10's users, database, latency, instances and variants, 16 requests in flight;
 * `--quick` measures only the two the result compares (unless BENCH_MIX_STRATEGIES names others), so it stays quick.
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
    requests: scale(2_500, 500),
    database: mix.database,
    adminUrl: mix.adminUrl,
  };
}

/** Row 15 from measured costs (the harness test renders it from a tiny run). */
export function pathCostRow(settings: PathCostSettings, costs: PathCost[]): RowReport {
  const strategies = STRATEGIES.filter((strategy) => costs.some((cost) => cost.strategy === strategy));
  const of = (strategy: Strategy, path: string) => costs.find((cost) => cost.strategy === strategy && cost.path === path);
  const cell = (cost: PathCost | undefined) =>
    cost ? `${formatNumber(cost.instancesCpuMicros)} (${formatNumber(cost.redisCommands, 2)})` : "–";
  const versus = PATHS.map((path) => {
    const hoard = of("hoard", path);
    const recipe = of("recipe", path);
    return hoard && recipe ? `${path} ${formatNumber(hoard.instancesCpuMicros / recipe.instancesCpuMicros, 2)}x` : undefined;
  }).filter((part) => part !== undefined);
  return {
    id: 15,
    title: "CPU per request by path: row 10's kinds of request, each alone",
    table: [
      `${settings.instances} instances per variant behind the round-robin entry point, ${settings.concurrency} requests in flight, ${formatNumber(settings.requests)} requests per path (writes: ${formatNumber(settings.requests / 4)}), ${settings.dbLatencyMs} ms database latency per load; one run.`,
      "",
      `| path | ${strategies.map((strategy) => STRATEGY_NAMES[strategy]).join(" | ")} |`,
      `|---|${strategies.map(() => "---|").join("")}`,
      ...PATHS.map((path) => `| ${path} | ${strategies.map((strategy) => cell(of(strategy, path))).join(" | ")} |`),
    ],
    target: "none: it says where row 10's CPU per request goes",
    result: versus.length > 0 ? `Hoard / recipe CPU per request: ${versus.join(", ")}` : "not every variant ran",
    notes: [
      "Each cell: user + system CPU µs of the 3 instances together per request (/proc/<pid>/stat), and in brackets Redis commands per request (INFO commandstats, which counts the commands a Lua script runs).",
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
      `   ${cost.strategy} ${cost.path}: ${formatNumber(cost.instancesCpuMicros)} µs CPU/request, ${formatNumber(cost.redisCommands, 2)} Redis commands/request`,
    );
  return pathCostRow(settings, costs);
}
