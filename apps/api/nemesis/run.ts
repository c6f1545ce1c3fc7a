/**
 * `pnpm test:nemesis`: randomized faults over several hosts, checked.
 *   (no flags)                 the CI lane: the fixed seeds below, short runs
 *   --seeds N --duration S     a hunt: N fresh random seeds of S seconds each
 *   --seed X [--duration S]    replay one seed (same seed, same schedule)
 *   --redis single|cluster     force the Redis topology (else the seed picks)
 *   --regressions              also run the seeds of findings marked fixed in regressions.ts
 *   --strict                   fail on the open findings of regressions.ts too (else printed as KNOWN)
 * Needs root (network namespaces). Exits 1 if any seed fails a check.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { OPEN_FINDINGS, REGRESSIONS } from "./regressions.js";
import type { Violation } from "./support/checker.js";
import { runSeed, type SeedResult } from "./support/run-seed.js";
import { generateSchedule, type RedisTopology } from "./support/schedule.js";
import { Topology } from "./support/topology.js";

/** The CI lane: a single-Redis seed and a cluster seed, short. */
const CI_SEEDS: { seed: number; redis?: RedisTopology }[] = [{ seed: 1 }, { seed: 2 }, { seed: 3, redis: "cluster" }];
const CI_DURATION_S = 20;

const { values } = parseArgs({
  options: {
    seeds: { type: "string" },
    seed: { type: "string" },
    duration: { type: "string" },
    redis: { type: "string" },
    regressions: { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
  },
});

if (process.getuid?.() !== 0) {
  console.error("test:nemesis needs root: it creates network namespaces (ip netns) for its hosts.");
  process.exit(1);
}

// Every exit path removes the namespaces, bridge and processes (they die with their namespaces).
const cleanUp = () => Topology.removeLeftovers();
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    console.error(`\n${signal}: removing the nemesis hosts`);
    cleanUp();
    process.exit(130);
  });
process.on("exit", cleanUp);

const redis = values.redis as RedisTopology | undefined;
if (redis && redis !== "single" && redis !== "cluster") throw new Error("--redis: use single or cluster");
const durationMs = Number(values.duration ?? CI_DURATION_S) * 1000;
let plan: { seed: number; redis?: RedisTopology; durationMs: number }[];
if (values.seed) plan = [{ seed: Number(values.seed), ...(redis ? { redis } : {}), durationMs }];
else if (values.seeds) {
  const base = Date.now() % 1_000_000_000;
  plan = Array.from({ length: Number(values.seeds) }, (_, i) => ({ seed: base + i, ...(redis ? { redis } : {}), durationMs }));
} else plan = CI_SEEDS.map((each) => ({ ...each, durationMs }));
if (values.regressions) for (const regression of REGRESSIONS.filter((each) => each.fixed)) plan.push({ ...regression });

/** The open finding a violation is an instance of, if any (none under --strict). */
const knownAs = (violation: Violation) => (values.strict ? undefined : OPEN_FINDINGS.find((finding) => finding.matches(violation)));

const results: { result: SeedResult; failing: Violation[]; known: Map<string, number> }[] = [];
for (const { seed, redis: topology, durationMs: ms } of plan) {
  const schedule = generateSchedule(seed, ms, topology);
  const result = await runSeed(schedule, (line) => console.log(line));
  const failing = result.violations.filter((violation) => !knownAs(violation));
  const known = new Map<string, number>();
  for (const violation of result.violations) {
    const finding = knownAs(violation);
    if (finding) known.set(finding.name, (known.get(finding.name) ?? 0) + 1);
  }
  results.push({ result, failing, known });
  console.log(`seed ${seed}: ${JSON.stringify(result.figures)}`);
  for (const [name, count] of known) console.log(`  KNOWN ${name}: ${count} violations (open finding, see regressions.ts)`);
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
  console.log(failing.length === 0 ? `seed ${seed}: PASS` : `seed ${seed}: FAIL, ${failing.length} violations (replay: ${replay})`);
}

const failed = results.filter((each) => each.failing.length > 0);
const faultsByKind: Record<string, number> = {};
for (const { result } of results)
  for (const fault of result.schedule.faults) faultsByKind[fault.kind] = (faultsByKind[fault.kind] ?? 0) + 1;
const operations = results.reduce((sum, { result }) => sum + Object.values(result.figures.ops).reduce((a, b) => a + b, 0), 0);
const knownSeeds = results.filter((each) => each.known.size > 0).map((each) => each.result.schedule.seed);
console.log(
  `nemesis: ${results.length} seeds, ${failed.length} failed (${failed.map((each) => each.result.schedule.seed).join(", ") || "none"}), ` +
    `${knownSeeds.length} with known open findings (${knownSeeds.join(", ") || "none"}), ${operations} operations checked, faults by kind ${JSON.stringify(faultsByKind)}`,
);
process.exit(failed.length > 0 ? 1 : 0);
