import type { Violation } from "./support/checker.js";
import type { RedisTopology } from "./support/schedule.js";

/**
 * A bug the hunt found and that is not fixed yet. Its violations are
 * printed as KNOWN and do not fail a run (so `pnpm test` stays a signal for
 * new breakage) unless `--strict` is given. Remove the entry once the fix
 * lands, and mark its seeds in REGRESSIONS as fixed.
 */
export interface OpenFinding {
  name: string;
  /** Where it is tracked / who is fixing it. */
  tracking: string;
  matches(violation: Violation): boolean;
}

/** Every entry left behind is an older value (not a failed call). */
const behindWithOldValues = (violation: Violation) => {
  const behind = (violation.op as { behind?: string[] } | undefined)?.behind ?? [];
  return behind.length > 0 && behind.every((line) => /got v\d/.test(line));
};

export const OPEN_FINDINGS: OpenFinding[] = [
  {
    name: "read-your-writes-while-redis-unreachable",
    tracking:
      "apps/api outbox settle / packages/cache: with its Redis link reset and Redis paused, an instance acknowledged a write whose L2 delete had not landed and then served the old value from L2 for seconds (seed 2, after the outbox merge)",
    matches: (violation) =>
      violation.check === "read-your-writes" && violation.faults.some((fault) => /redis-(partition|pause|kill)/.test(fault)),
  },
  {
    name: "half-open-bus-stays-stale",
    tracking:
      "packages/cache (issue 11, branch w11c: half-open bus): an instance whose bus connection went silent (socket kept) never learns it lost invalidations; since the outbox (one delete per write) it hears of other instances' writes only through that bus, so its L1 serves old values until their 60 s TTL, long after the fault",
    matches: (violation) =>
      violation.faults.some((fault) => fault.includes("half-open") && fault.includes("link=redis-bus")) &&
      ((violation.check === "convergence" && behindWithOldValues(violation)) || violation.check === "stale read"),
  },
  {
    name: "healthy-stampede-two-loads",
    tracking:
      "packages/cache: a stampede right after cache.invalidate, with no fault active, sometimes reaches Postgres twice across three instances (bound: once)",
    matches: (violation) =>
      violation.check === "stampede loads" &&
      violation.faults.length === 0 &&
      (violation.op as { loads?: number } | undefined)?.loads === 2,
  },
];

/**
 * Seeds whose run found a bug, kept to replay once it is fixed. Set `fixed`
 * when the fix lands: `pnpm test:nemesis --regressions` then runs them (and
 * fails if the bug is back). Timing still varies between replays: a seed
 * replays the schedule, which made the bug likely, not certain.
 */
export interface Regression {
  seed: number;
  durationMs: number;
  redis?: RedisTopology;
  finding: string;
  fixed: boolean;
}

export const REGRESSIONS: Regression[] = [
  {
    seed: 197022269,
    durationMs: 12_000,
    finding: "key-hangs-after-redis-interruption (redis-kill during a lock-holder-kill)",
    fixed: true,
  },
  { seed: 197022270, durationMs: 12_000, finding: "key-hangs-after-redis-interruption (redis-kill)", fixed: true },
  { seed: 197022271, durationMs: 12_000, finding: "key-hangs-after-redis-interruption (redis-partition stall and reset)", fixed: true },
  { seed: 197022267, durationMs: 12_000, finding: "healthy-stampede-two-loads", fixed: false },
  {
    seed: 197684865,
    durationMs: 10_000,
    finding: "key-hangs-after-redis-interruption (a read in flight when Redis was SIGKILLed never ends)",
    fixed: true,
  },
  {
    seed: 197684869,
    durationMs: 10_000,
    finding: "read-your-writes: instance 0 served v3 for 1.4 s after acknowledging v4 (two other instances down, before the outbox merge)",
    fixed: false,
  },
  {
    seed: 2,
    durationMs: 20_000,
    finding: "read-your-writes-while-redis-unreachable (instance 2 served v1 4.2 s after acknowledging v2)",
    fixed: false,
  },
  { seed: 198240600, durationMs: 10_000, finding: "half-open-bus-stays-stale (instance 1, during a Redis SIGSTOP)", fixed: false },
  { seed: 198240605, durationMs: 10_000, finding: "half-open-bus-stays-stale (instances 0 and 2)", fixed: false },
  { seed: 198240606, durationMs: 10_000, finding: "half-open-bus-stays-stale (instances 0 and 1)", fixed: false },
  {
    seed: 198240598,
    durationMs: 10_000,
    finding: "crash: unhandled 'error' of an outbox transaction's pg client on a Postgres reset",
    fixed: true,
  },
  { seed: 198240599, durationMs: 10_000, redis: "cluster", finding: "crash: the same, on the cluster", fixed: true },
];
