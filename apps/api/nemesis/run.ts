/**
 * `pnpm test:nemesis`: randomized faults over several hosts, checked.
 *   (no flags)                 the CI lane: the seeds below and the regressions marked `lane`
 *   --regressions              every seed of regressions.ts
 *   --seeds N --duration S     a hunt: N fresh random seeds of S seconds each
 *   --seed X [--duration S]    replay one seed (same seed, same schedule)
 *   --redis single|cluster     force the Redis topology (else the seed picks)
 * Needs root (network namespaces). Exits 1 if any seed fails a check: there
 * is no list of tolerated findings (a finding is fixed, its seed kept in
 * regressions.ts, or the run fails).
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REGRESSIONS } from "./regressions.js";
import type { Violation } from "./support/checker.js";
import { takeRunLock } from "./support/run-lock.js";
import { runSeed, type SeedResult } from "./support/run-seed.js";
import { generateSchedule, type RedisTopology } from "./support/schedule.js";
import { Topology } from "./support/topology.js";

/** The CI lane's own seeds (two on one Redis, one on the cluster), besides the regressions. */
const CI_SEEDS: { seed: number; redis?: RedisTopology }[] = [{ seed: 1 }, { seed: 3, redis: "cluster" }];
const CI_DURATION_S = 20;
/** How long a run waits for another one on this machine to finish. */
const LOCK_WAIT_MS = 30 * 60_000;

const { values } = parseArgs({
  options: {
    seeds: { type: "string" },
    seed: { type: "string" },
    duration: { type: "string" },
    redis: { type: "string" },
    regressions: { type: "boolean" },
  },
});

if (process.getuid?.() !== 0) {
  console.error("test:nemesis needs root: it creates network namespaces (ip netns) for its hosts.");
  process.exit(1);
}

const redis = values.redis as RedisTopology | undefined;
if (redis && redis !== "single" && redis !== "cluster") throw new Error("--redis: use single or cluster");
const durationMs = Number(values.duration ?? CI_DURATION_S) * 1000;
let plan: { seed: number; redis?: RedisTopology; durationMs: number }[];
if (values.seed) plan = [{ seed: Number(values.seed), ...(redis ? { redis } : {}), durationMs }];
else if (values.seeds) {
  const base = Date.now() % 1_000_000_000;
  plan = Array.from({ length: Number(values.seeds) }, (_, i) => ({ seed: base + i, ...(redis ? { redis } : {}), durationMs }));
} else {
  const replays = REGRESSIONS.filter((each) => values.regressions || each.lane).map(({ seed, durationMs: ms, redis: topology }) => ({
    seed,
    durationMs: ms,
    ...(topology ? { redis: topology } : {}),
  }));
  plan = values.regressions ? replays : [...CI_SEEDS.map((each) => ({ ...each, durationMs })), ...replays];
}

const releaseLock = await takeRunLock(LOCK_WAIT_MS, (line) => console.log(line));
// Every exit path removes the namespaces, bridge, processes (they die with their namespaces) and temp dirs.
const cleanUp = () => {
  Topology.removeLeftovers();
  releaseLock();
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(signal, () => {
    console.error(`\n${signal}: removing the nemesis hosts`);
    process.exit(130); // the exit handler cleans up
  });
process.on("exit", cleanUp);
process.on("uncaughtException", (error) => {
  console.error("nemesis runner crashed:", error);
  process.exit(1);
});

const laneStarted = Date.now();
const results: SeedResult[] = [];
for (const { seed, redis: topology, durationMs: ms } of plan) {
  const schedule = generateSchedule(seed, ms, topology);
  const result = await runSeed(schedule, (line) => console.log(line));
  results.push(result);
  console.log(`seed ${seed}: ${JSON.stringify(result.figures)}`);
  const replay = `pnpm test:nemesis --seed ${seed} --duration ${ms / 1000}${topology ? ` --redis ${topology}` : ""}`;
  if (result.violations.length > 0) {
    const byCheck = new Map<string, Violation[]>();
    for (const violation of result.violations) byCheck.set(violation.check, [...(byCheck.get(violation.check) ?? []), violation]);
    for (const [name, violations] of byCheck) {
      console.log(`  [${name}] ${violations.length} violations; the first:`);
      for (const violation of violations.slice(0, 3))
        console.log(
          `    ${violation.message}\n      op: ${JSON.stringify(violation.op ?? null)}\n      faults active: ${violation.faults.join(" | ") || "none"}`,
        );
    }
    const saved = join(tmpdir(), `hoard-nemesis-${seed}.json`);
    writeFileSync(saved, JSON.stringify({ schedule: result.schedule, ...result.history }, null, 1));
    console.log(`  history: ${saved} (replay: ${replay})`);
    result.outputs.forEach((output, i) => {
      if (output) console.log(`  instance ${i}, last output:\n${output.replace(/^/gm, "    | ")}`);
    });
  }
  console.log(
    result.violations.length === 0
      ? `seed ${seed}: PASS`
      : `seed ${seed}: FAIL, ${result.violations.length} violations (replay: ${replay})`,
  );
}

const failed = results.filter((result) => result.violations.length > 0);
const faultsByKind: Record<string, number> = {};
for (const result of results) for (const fault of result.schedule.faults) faultsByKind[fault.kind] = (faultsByKind[fault.kind] ?? 0) + 1;
const operations = results.reduce((sum, result) => sum + Object.values(result.figures.ops).reduce((a, b) => a + b, 0), 0);
// Stale windows per situation over every seed: how many, and the largest.
const windows: Record<string, { count: number; max: number }> = {};
for (const result of results)
  for (const [where, { count, max }] of Object.entries(result.figures.staleWindows)) {
    const total = windows[where] ?? { count: 0, max: 0 };
    windows[where] = { count: total.count + count, max: Math.max(total.max, max) };
  }
console.log(`nemesis: stale windows by situation over all seeds ${JSON.stringify(windows)}`);
console.log(
  `nemesis: ${results.length} seeds, ${failed.length} failed (${failed.map((each) => each.schedule.seed).join(", ") || "none"}), ` +
    `${operations} operations checked, faults by kind ${JSON.stringify(faultsByKind)}, ${Math.round((Date.now() - laneStarted) / 1000)} s`,
);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length > 0 ? 1 : 0);
