import { Prng } from "./prng.js";

/** Which Redis a run uses: one redis-server behind per-instance proxies, or a 3-master, 3-replica cluster. */
export type RedisTopology = "single" | "cluster";

/** One fault of the schedule. Times are ms from the start of the workload. */
export type Fault = { id: number; startMs: number; durationMs: number } & (
  | { kind: "redis-partition"; instance: number; mode: "reset" | "stall" }
  | { kind: "postgres-partition"; instance: number; mode: "reset" | "stall" }
  | { kind: "bus-partition"; instance: number; mode: "reset" | "stall" }
  | { kind: "half-open"; instance: number; link: "redis-bus" | "redis-data" | "postgres" }
  | { kind: "latency"; instance: number; link: "redis" | "postgres"; delayMs: number; jitterMs: number }
  | { kind: "redis-pause" }
  | { kind: "redis-kill" }
  | { kind: "instance-kill"; instance: number }
  | { kind: "lock-holder-kill"; instance: number }
  | { kind: "cluster-master-kill"; master: number }
);

export type FaultKind = Fault["kind"];

/** A whole run, generated up front from the seed. */
export interface Schedule {
  seed: number;
  durationMs: number;
  redis: RedisTopology;
  faults: Fault[];
}

/** How often each fault kind is drawn, per Redis topology (0: not possible there). */
const WEIGHTS: Record<RedisTopology, Record<FaultKind, number>> = {
  single: {
    "redis-partition": 3,
    "postgres-partition": 3,
    "bus-partition": 3,
    "half-open": 3,
    latency: 3,
    "redis-pause": 2,
    "redis-kill": 2,
    "instance-kill": 2,
    "lock-holder-kill": 2,
    "cluster-master-kill": 0,
  },
  // Cluster clients reach the nodes directly (ioredis follows the addresses the nodes announce), so the Redis links carry no proxy.
  cluster: {
    "redis-partition": 0,
    "postgres-partition": 3,
    "bus-partition": 0,
    "half-open": 1,
    latency: 2,
    "redis-pause": 0,
    "redis-kill": 0,
    "instance-kill": 2,
    "lock-holder-kill": 2,
    "cluster-master-kill": 4,
  },
};

/** Faults that need a process to themselves (they kill or stop it), by the resource they hold. */
function exclusiveResource(fault: Fault): string | undefined {
  switch (fault.kind) {
    case "redis-pause":
    case "redis-kill":
    case "cluster-master-kill":
      return "redis";
    case "instance-kill":
    case "lock-holder-kill":
      return `instance:${fault.instance}`;
    default:
      return undefined;
  }
}

/** Quiet time at the start (warm caches) and at the end (convergence is checked after it). */
const LEAD_IN_MS = 1_500;
const QUIET_END_MS = 2_000;
export const INSTANCES = 3;

/**
 * Draws the schedule: about one fault per 2.5 s of workload, each 0.8-5 s
 * long, overlapping at random; faults that kill or stop a process never
 * overlap another on the same process. `redis` forces the topology (else
 * one seed in four runs on the cluster).
 */
export function generateSchedule(seed: number, durationMs: number, redis?: RedisTopology): Schedule {
  const random = new Prng(seed);
  const topology: RedisTopology = redis ?? (random.next() < 0.25 ? "cluster" : "single");
  const weights = WEIGHTS[topology];
  const faults: Fault[] = [];
  const count = Math.max(1, Math.round(durationMs / 2_500));
  const latest = Math.max(LEAD_IN_MS + 1, durationMs - QUIET_END_MS);
  for (let attempt = 0; faults.length < count && attempt < count * 20; attempt++) {
    const kind = random.weighted(weights);
    const startMs = random.int(LEAD_IN_MS, latest - 800);
    const durationMsOfFault = Math.min(random.int(800, 5_000), latest - startMs);
    const fault = onTopology(topology, draw(random, kind, { id: faults.length + 1, startMs, durationMs: durationMsOfFault }));
    const resource = exclusiveResource(fault);
    const clash = faults.some(
      (other) =>
        resource !== undefined &&
        exclusiveResource(other) === resource &&
        other.startMs < fault.startMs + fault.durationMs + 1_000 &&
        fault.startMs < other.startMs + other.durationMs + 1_000,
    );
    if (!clash) faults.push(fault);
  }
  faults.sort((a, b) => a.startMs - b.startMs);
  return { seed, durationMs, redis: topology, faults: faults.map((fault, i) => ({ ...fault, id: i + 1 })) };
}

/** On the cluster only the Postgres links carry a proxy. */
function onTopology(topology: RedisTopology, fault: Fault): Fault {
  if (topology === "single") return fault;
  if (fault.kind === "half-open") return { ...fault, link: "postgres" };
  if (fault.kind === "latency") return { ...fault, link: "postgres" };
  return fault;
}

function draw(random: Prng, kind: FaultKind, base: { id: number; startMs: number; durationMs: number }): Fault {
  const instance = random.int(0, INSTANCES - 1);
  switch (kind) {
    case "redis-partition":
    case "postgres-partition":
    case "bus-partition":
      return { ...base, kind, instance, mode: random.pick(["reset", "stall"] as const) };
    case "half-open":
      return { ...base, kind, instance, link: random.pick(["redis-bus", "redis-data", "postgres"] as const) };
    case "latency":
      return {
        ...base,
        kind,
        instance,
        link: random.pick(["redis", "postgres"] as const),
        delayMs: random.int(20, 400),
        jitterMs: random.int(0, 200),
      };
    case "instance-kill":
    case "lock-holder-kill":
      return { ...base, kind, instance };
    case "cluster-master-kill":
      return { ...base, kind, master: random.int(0, 2) };
    default:
      return { ...base, kind };
  }
}

/** One line per fault, for the run's log (and to compare two replays of a seed). */
export function describeFault(fault: Fault): string {
  const { id, startMs, durationMs, kind, ...rest } = fault;
  const details = Object.entries(rest)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  return `#${id} ${kind} ${details} @${startMs}ms for ${durationMs}ms`;
}
