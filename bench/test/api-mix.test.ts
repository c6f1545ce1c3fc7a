import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_SHAPE, type MixSettings, runMix, type VariantRound } from "../src/api-mix/run-mix.js";
import { STRATEGIES } from "../src/api-mix/strategies.js";
import { apiMixRows } from "../src/rows/api-mix.js";
import { dropDatabase, requireBuiltApi } from "./support.js";

// Rows 10 and 11 in a tiny configuration (a few hundred requests per variant): proves the harness
// starts every variant, drives it and counts what it should. The figures are pnpm bench's job.
const settings: MixSettings = {
  strategies: STRATEGIES,
  rounds: 1,
  shape: { ...DEFAULT_SHAPE, users: 500 },
  dbLatencyMs: 2,
  instances: 3,
  concurrency: 8,
  stampedeClients: 24,
  warmupSeconds: 0.5,
  fixedRate: 60,
  fixedSeconds: 1.5,
  saturationSeconds: 1.5,
  // A database of this run's own, dropped at the end (the benchmark keeps hoard_bench4 for the next run).
  database: `hoard_bench4_test_${randomBytes(4).toString("hex")}`,
  adminUrl: process.env.BENCH_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  seed: 15,
};

let rounds: VariantRound[] = [];

afterAll(() => dropDatabase(settings.adminUrl, settings.database));

beforeAll(requireBuiltApi);

it("runs the four variants, each on 3 instances behind the entry point, and counts their database and Redis work", async () => {
  rounds = await runMix(settings);
  expect(rounds.map((round) => round.strategy).sort()).toEqual([...STRATEGIES].sort());
  const of = (strategy: string) => rounds.find((round) => round.strategy === strategy) as VariantRound;
  for (const round of rounds) {
    expect(round.failed, round.strategy).toBe(0);
    expect(round.requests, round.strategy).toBeGreaterThan(60);
    expect(round.saturationRps, round.strategy).toBeGreaterThan(0);
    expect(round.fixed.answered, round.strategy).toBe(Math.round(round.fixedRate * settings.fixedSeconds));
    expect(round.fixedRate, round.strategy).toBe(settings.fixedRate);
    expect(round.fixedRateCalibrated, round.strategy).toBe(false);
    expect(round.fixed.p99, round.strategy).toBeGreaterThanOrEqual(round.fixed.p50);
    // The split by kind covers the same requests: each p99 is one of theirs, so never above the phase's max.
    expect(round.fixed.readP99, round.strategy).toBeGreaterThan(0);
    expect(round.fixed.readP99, round.strategy).toBeLessThanOrEqual(round.fixed.max);
    expect(round.fixed.writeP99, round.strategy).toBeLessThanOrEqual(round.fixed.max);
    expect(round.writes, round.strategy).toBeGreaterThan(0);
    expect(round.staleBeyondBudget, round.strategy).toBeLessThanOrEqual(round.staleReads);
    expect(round.staleReads, round.strategy).toBeLessThanOrEqual(round.reads);
  }
  // The checker invents no stale read: every read without a cache comes from Postgres.
  expect(of("none").staleReads).toBe(0);
  // Hoard's guarantee. The recipe and bentocache may show real ones (a fill that lands after the
  // write's delete keeps the old row until its TTL): a run of this test saw bentocache serve 3.
  expect(of("hoard").staleBeyondBudget).toBe(0);
  // Without a cache every request is one query on users (each read a load, each write an update).
  expect(of("none").userQueriesPer1000).toBeCloseTo(1_000, -1);
  expect(of("none").stampede.loads).toBe(settings.stampedeClients);
  // The floor is a strict lower bound: every version a variant served was loaded, and every write is a query.
  // Without a cache every read is a load, so it sits well above its floor (the Zipf ids repeat).
  expect(of("none").floorQueriesPer1000).toBeLessThan(of("none").userQueriesPer1000);
  for (const round of rounds) {
    expect(round.floorQueriesPer1000, round.strategy).toBeGreaterThan(0);
    expect(round.userQueriesPer1000, round.strategy).toBeGreaterThanOrEqual(round.floorQueriesPer1000);
  }
  // Caches answer some reads without Postgres, and send commands to the benchmark's own Redis.
  for (const strategy of ["recipe", "bentocache", "hoard"]) {
    expect(of(strategy).userQueriesPer1000, strategy).toBeLessThan(of("none").userQueriesPer1000);
    expect(of(strategy).redisCommandsPerRequest, strategy).toBeGreaterThan(of("none").redisCommandsPerRequest);
    expect(of(strategy).stampede.loads, strategy).toBeGreaterThanOrEqual(1);
    // The recipe has no stampede protection: every client may miss before the first SETEX lands.
    expect(of(strategy).stampede.loads, strategy).toBeLessThanOrEqual(settings.stampedeClients);
  }
  // bentocache and Hoard coalesce in each process, so 24 clients on 3 instances never cost 24 loads.
  for (const strategy of ["bentocache", "hoard"]) {
    expect(of(strategy).stampede.loads, strategy).toBeLessThan(settings.stampedeClients);
  }
  // Pub/sub locks and leases are Hoard's: at most one load per instance even on a loaded machine.
  expect(of("hoard").stampede.loads).toBeLessThanOrEqual(settings.instances);
});

it("without a fixed rate, measures each variant's saturation first and offers a share of the slowest one's to every round", async () => {
  const { fixedRate: _unset, ...rest } = settings;
  const calibrated: MixSettings = { ...rest, strategies: ["none", "recipe"], fixedShareOfSaturation: 0.25, fixedSeconds: 1 };
  const seen = new Map<string, number>();
  const runs = await runMix(calibrated, undefined, (strategy, rps) => seen.set(strategy, rps));
  expect([...seen.keys()].sort()).toEqual(["none", "recipe"]);
  const slowest = Math.min(...seen.values());
  expect(slowest).toBeGreaterThan(0);
  for (const round of runs) {
    expect(round.fixedRateCalibrated, round.strategy).toBe(true);
    expect(round.fixedRate, round.strategy).toBe(Math.max(1, Math.round(slowest * 0.25)));
    // Every request of the open loop was sent and answered at that rate.
    expect(round.fixed.answered, round.strategy).toBe(Math.round(round.fixedRate * calibrated.fixedSeconds));
  }
  const { rows } = apiMixRows(calibrated, runs);
  expect(rows[0]?.table[0]).toContain(`${runs[0]?.fixedRate} requests/s offered`);
  expect(rows[0]?.table[0]).toContain("25 % of the slowest variant's requests/s at saturation in a calibration pass");
});

it("renders rows 10 and 11 and the chart from the rounds", () => {
  const { rows, chart } = apiMixRows(settings, rounds);
  expect(rows.map((row) => row.id)).toEqual([10, 11]);
  expect(rows[0]?.table.filter((line) => line.startsWith("| Hoard"))).toHaveLength(1);
  expect(rows[0]?.result).toMatch(/Hoard vs the recipe: [\d.]+x requests\/s/);
  expect(rows[0]?.met).toBeTypeOf("boolean");
  expect(chart).toMatch(/^<svg[\s\S]*<\/svg>$/);
  expect(chart.match(/<rect /g)?.length).toBe(1 + 3 * STRATEGIES.length);
});
