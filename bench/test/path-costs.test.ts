import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { measurePathCosts, PATHS, type PathCostSettings } from "../src/api-mix/path-costs.js";
import { pathCostRow } from "../src/rows/path-costs.js";
import { dropDatabase, requireBuiltApi } from "./support.js";

// Row 15 in a tiny configuration: proves each path reaches what it says it measures (the Redis
// commands per request tell a hit from a miss from a write). The figures are pnpm bench's job.
const settings: PathCostSettings = {
  strategies: ["recipe", "hoard"],
  users: 1_000,
  dbLatencyMs: 2,
  instances: 3,
  concurrency: 4,
  requests: 80,
  rounds: 1,
  // A database of this run's own, dropped at the end.
  database: `hoard_bench_paths_test_${randomBytes(4).toString("hex")}`,
  adminUrl: process.env.BENCH_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
};

beforeAll(requireBuiltApi);

afterAll(() => dropDatabase(settings.adminUrl, settings.database));

it("measures each path alone: the recipe's hit is one GET, its miss a GET and a SETEX; Hoard's hits and absent ids stay in L1", async () => {
  const costs = await measurePathCosts(settings);
  expect(costs.map((cost) => `${cost.strategy} ${cost.path}`)).toEqual([
    ...PATHS.map((path) => `recipe ${path}`),
    ...PATHS.map((path) => `hoard ${path}`),
  ]);
  console.log(costs.map((cost) => `${cost.strategy} ${cost.path}: ${cost.redisCommands.toFixed(2)} Redis commands per request`).join("\n"));
  const of = (strategy: string, path: string) => costs.find((cost) => cost.strategy === strategy && cost.path === path);
  // Heartbeats add a few commands a second to every phase: a margin above the exact count, never below it.
  const near = (value: number | undefined, exact: number) => {
    expect(value).toBeGreaterThanOrEqual(exact - 0.01);
    expect(value).toBeLessThan(exact + 0.5);
  };
  near(of("recipe", "hit")?.redisCommands, 1);
  near(of("recipe", "miss")?.redisCommands, 2);
  near(of("recipe", "missing id")?.redisCommands, 1);
  near(of("recipe", "write")?.redisCommands, 1);
  near(of("hoard", "hit")?.redisCommands, 0);
  near(of("hoard", "missing id")?.redisCommands, 0);
  // A miss is the GET, the lock-and-lease script and the fenced fill script (14 as INFO counts a script's own commands).
  expect(of("hoard", "miss")?.redisCommands).toBeGreaterThanOrEqual(14 - 0.01);
  for (const cost of costs)
    if (process.platform === "linux") expect(cost.instancesCpuMicros, `${cost.strategy} ${cost.path}`).toBeGreaterThan(0);
  const row = pathCostRow(settings, costs);
  expect(row.result).toMatch(/^Hoard \/ recipe CPU per request: hit [\d.]+x, miss [\d.]+x, missing id [\d.]+x, write [\d.]+x$/);
  expect(row.table.filter((line) => line.startsWith("| ")).length).toBe(1 + PATHS.length);
});

it("refuses a run that would read ids beyond the users it seeds", async () => {
  await expect(measurePathCosts({ ...settings, users: 100, requests: 80 })).rejects.toThrow(/need 800 users or more \(got 100\)/);
});

it("takes each variant's median over the rounds, and the ratios of the medians", () => {
  const costs = ["recipe", "hoard"].flatMap((strategy) =>
    PATHS.flatMap((path) =>
      [0, 1, 2].map((round) => ({
        strategy: strategy as "recipe" | "hoard",
        path,
        round,
        requests: 80,
        // recipe: 100, 300, 200 µs (median 200); hoard: 50, 900, 100 (median 100), whatever the path.
        instancesCpuMicros: strategy === "recipe" ? ([100, 300, 200][round] as number) : ([50, 900, 100][round] as number),
        redisCommands: round,
      })),
    ),
  );
  const row = pathCostRow({ ...settings, rounds: 3 }, costs);
  expect(row.result).toBe("Hoard / recipe CPU per request: hit 0.50x, miss 0.50x, missing id 0.50x, write 0.50x");
  expect(row.table.find((line) => line.startsWith("| hit |"))).toBe("| hit | 200 (100–300); 1.00 | 100 (50–900); 1.00 |");
});
