import { quantile, History as StaleModel } from "../../chaos/support/history.js";
import type { ApiHost } from "./api-host.js";
import {
  CALL_DEADLINE_MS,
  CUT_OFF_STALE_BOUND_MS,
  DEAD_POOLED_CONNECTION_MS,
  DEGRADED_CONCURRENT_LOADS,
  HEALTHY_STALE_BOUND_MS,
  HEALTHY_STAMPEDE_LOADS,
  LOAD_WINDOW_SLACK_MS,
  QUERY_TIMEOUT_MS,
  SETTLE_MS,
} from "./bounds.js";
import type { FaultWindow, History, OpRecord, StampedeRecord } from "./history.js";

/** One broken promise, with what is needed to replay it. */
export interface Violation {
  check: string;
  message: string;
  op?: OpRecord | object;
  faults: string[];
}

/** The figures a run prints. */
export interface Figures {
  ops: Record<string, number>;
  failedOps: { healthy: number; underFaults: number };
  staleReads: number;
  /** Observed stale windows (ms), per situation: "healthy" or the fault kinds active. */
  staleWindows: Record<string, { count: number; p50: number; max: number }>;
  /** `redisFailedWithNoFault`: stampedes with no fault injected during which Redis failed a cache anyway (checked as degraded). */
  stampedes: {
    count: number;
    maxLoadsHealthy: number;
    maxLoadsUnderFaults: number;
    redisFailedWithNoFault: number;
  };
  slowestCallMs: number;
  convergenceMs: number | undefined;
}

/** "instance 0: 7 coalesced, 1 database; ..." for a stampede's answers. */
function sourcesByInstance(answers: { instance: number; source: string }[]): string {
  const counts = new Map<number, Map<string, number>>();
  for (const { instance, source } of answers) {
    const perSource = counts.get(instance) ?? new Map<string, number>();
    perSource.set(source, (perSource.get(source) ?? 0) + 1);
    counts.set(instance, perSource);
  }
  return [...counts]
    .map(([instance, perSource]) => `instance ${instance}: ${[...perSource].map(([source, n]) => `${n} ${source}`).join(", ")}`)
    .join("; ");
}

/**
 * A 503 after the query timeout on an instance whose Postgres link was half-open shortly before:
 * the call was handed a connection the fault left dead in the pool (see DEAD_POOLED_CONNECTION_MS).
 */
function onDeadPooledConnection(history: History, op: OpRecord): boolean {
  if (op.status !== 503 || op.endAt - op.startAt < QUERY_TIMEOUT_MS) return false;
  return history.faults.some(
    (fault) =>
      fault.kind === "half-open" &&
      fault.description.includes("link=postgres") &&
      fault.instance === op.instance &&
      fault.from <= op.startAt &&
      op.startAt <= fault.to + DEAD_POOLED_CONNECTION_MS,
  );
}

/**
 * Two loads of a stampede on one instance whose server-side windows overlap (each is
 * [answered - server time, answered], on the server's clock), or undefined.
 */
function concurrentLoads(
  answers: StampedeRecord["answers"],
  /** Instances left out: their bus flushed L1 during the stampede (a flight begun before a flush is not joined). */
  flushed: ReadonlySet<number> = new Set(),
): { instance: number; first: StampedeRecord["answers"][number]; second: StampedeRecord["answers"][number] } | undefined {
  const loads = answers.filter((answer) => answer.source === "database").sort((a, b) => a.endAt - b.endAt);
  for (let i = 0; i < loads.length; i++)
    for (let j = i + 1; j < loads.length; j++) {
      const first = loads[i] as StampedeRecord["answers"][number];
      const second = loads[j] as StampedeRecord["answers"][number];
      if (first.instance !== second.instance || flushed.has(first.instance)) continue;
      if (second.endAt - second.serverMs < first.endAt - LOAD_WINDOW_SLACK_MS) return { instance: first.instance, first, second };
    }
  return undefined;
}

function situation(faults: FaultWindow[]): string {
  return faults.length === 0 ? "healthy" : [...new Set(faults.map((fault) => fault.kind))].sort().join("+");
}

/**
 * Decides a run: stale reads within the bound of their situation,
 * read-your-writes, no absent user that was never deleted, no call past its
 * deadline, no 500, no crash, stampede loads within bound.
 */
export function check(history: History, instances: ApiHost[]): { violations: Violation[]; figures: Figures } {
  const violations: Violation[] = [];
  const faultsAt = (from: number, to: number) => history.faultsDuring(from, to, SETTLE_MS);
  const names = (faults: FaultWindow[]) => faults.map((fault) => fault.description);

  // The chaos suite's definition of a stale read, over this history.
  const model = new StaleModel();
  const writes = history.ops.filter(
    (op) => (op.kind === "write" || op.kind === "delete" || op.kind === "create") && op.ok && op.id !== undefined,
  );
  for (const write of writes)
    model.addWrite({
      id: write.id as number,
      version: write.version as number,
      instance: write.instance,
      startAt: write.startAt,
      ackAt: write.endAt,
    });
  const reads = history.ops.filter((op) => op.kind === "read");
  for (const read of reads)
    model.addRead({
      id: read.id as number,
      instance: read.instance,
      startAt: read.startAt,
      endAt: read.endAt,
      ok: read.ok,
      status: read.status,
      version: read.version ?? -1,
    });
  const windows: Record<string, number[]> = {};
  const stale = model.staleReads();
  for (const each of stale) {
    const newerAckAt = each.read.startAt - each.staleForMs;
    const faults = faultsAt(newerAckAt, each.read.endAt);
    const where = situation(faults);
    const list = windows[where] ?? [];
    list.push(each.staleForMs);
    windows[where] = list;
    const op = reads.find((read) => read.startAt === each.read.startAt && read.id === each.read.id && read.instance === each.read.instance);
    if (each.sameInstance)
      violations.push({
        check: "read-your-writes",
        message: `instance ${each.read.instance} returned v${each.read.version} after acknowledging a newer write ${each.staleForMs} ms before`,
        op: op ?? each.read,
        faults: names(faults),
      });
    const bound = faults.length === 0 ? HEALTHY_STALE_BOUND_MS : CUT_OFF_STALE_BOUND_MS;
    if (each.staleForMs > bound)
      violations.push({
        check: "stale read",
        message: `returned v${each.read.version} ${each.staleForMs} ms after a newer write was acknowledged (bound ${bound} ms, ${where})`,
        op: op ?? each.read,
        faults: names(faults),
      });
  }

  // A read answers for the id it asked (a reply meant for another key would pass every version check).
  for (const read of reads)
    if (read.returnedId !== undefined)
      violations.push({
        check: "wrong profile",
        message: `a read of user ${read.id} returned user ${read.returnedId}`,
        op: read,
        faults: names(faultsAt(read.startAt, read.endAt)),
      });

  // An id that was never deleted never reads as absent (it existed before the workload began).
  const deleteStarts = new Map<number, number>();
  for (const op of history.ops)
    if (op.kind === "delete" && op.id !== undefined && !deleteStarts.has(op.id)) deleteStarts.set(op.id, op.startAt);
  for (const read of reads) {
    if (!read.ok || read.version !== Number.MAX_SAFE_INTEGER) continue;
    const deletedFrom = deleteStarts.get(read.id as number);
    if (deletedFrom === undefined || deletedFrom > read.endAt)
      violations.push({
        check: "phantom absent",
        message: `user ${read.id} read as absent though it was never deleted`,
        op: read,
        faults: names(faultsAt(read.startAt, read.endAt)),
      });
  }

  let failedHealthy = 0;
  let failedUnderFaults = 0;
  let slowest = 0;
  for (const op of history.ops) {
    const duration = op.endAt - op.startAt;
    slowest = Math.max(slowest, duration);
    const faults = faultsAt(op.startAt, op.endAt);
    if (duration > CALL_DEADLINE_MS)
      violations.push({
        check: "deadline",
        message: `${op.kind} took ${duration} ms (deadline ${CALL_DEADLINE_MS} ms)`,
        op,
        faults: names(faults),
      });
    if (op.status >= 500 && op.status !== 503)
      violations.push({ check: "no 500", message: `${op.kind} answered ${op.status}`, op, faults: names(faults) });
    if (!op.ok) {
      if (faults.length === 0 && !onDeadPooledConnection(history, op)) {
        failedHealthy++;
        violations.push({
          check: "healthy calls succeed",
          message: `${op.kind} failed (status ${op.status}) with no fault active`,
          op,
          faults: [],
        });
      } else failedUnderFaults++;
    }
  }

  let maxHealthy = 0;
  let maxDegraded = 0;
  let redisFailedUninjected = 0;
  for (const stampede of history.stampedes) {
    const faults = faultsAt(stampede.startAt, stampede.endAt);
    // Healthy: no fault injected, no lock holder killed, and Redis failed none of the caches meanwhile.
    const healthy = faults.length === 0 && stampede.lockHolderKilled === undefined && stampede.redisErrors === 0;
    if (faults.length === 0 && !healthy) redisFailedUninjected++;
    if (healthy) maxHealthy = Math.max(maxHealthy, stampede.loads);
    else maxDegraded = Math.max(maxDegraded, stampede.loads);
    const report = {
      ...stampede,
      // The loads themselves (the whole list is in the saved history), with every source per instance.
      answers: stampede.answers.filter((answer) => answer.source === "database"),
      sources: sourcesByInstance(stampede.answers),
    };
    if (healthy && stampede.loads > HEALTHY_STAMPEDE_LOADS)
      violations.push({
        check: "stampede loads",
        message: `${stampede.loads} database loads for ${stampede.calls} lookups of ${stampede.id} with nothing failing (bound ${HEALTHY_STAMPEDE_LOADS})`,
        op: report,
        faults: [],
      });
    const flushed = new Set(
      Object.entries(stampede.counters ?? {})
        .filter(([, counters]) => (counters.busFlushes ?? 0) > 0)
        .map(([instance]) => Number(instance)),
    );
    const overlapping = healthy ? undefined : concurrentLoads(stampede.answers, flushed);
    if (overlapping)
      violations.push({
        check: "stampede loads",
        message: `instance ${overlapping.instance} ran two loads of ${stampede.id} at once (single flight; bound ${DEGRADED_CONCURRENT_LOADS} at a time per instance)`,
        op: { ...report, overlapping },
        faults: names(faults),
      });
  }

  for (const instance of instances)
    for (const incident of instance.incidents)
      violations.push({
        check: "no crash",
        message: `instance ${incident.instance}: ${incident.what}`,
        faults: names(faultsAt(incident.at, incident.at)),
      });

  const ops: Record<string, number> = {};
  for (const op of history.ops) ops[op.kind] = (ops[op.kind] ?? 0) + 1;
  const staleWindows: Figures["staleWindows"] = {};
  for (const [where, list] of Object.entries(windows))
    staleWindows[where] = { count: list.length, p50: quantile(list, 0.5), max: Math.max(...list) };
  return {
    violations,
    figures: {
      ops,
      failedOps: { healthy: failedHealthy, underFaults: failedUnderFaults },
      staleReads: stale.length,
      staleWindows,
      stampedes: {
        count: history.stampedes.length,
        maxLoadsHealthy: maxHealthy,
        maxLoadsUnderFaults: maxDegraded,
        redisFailedWithNoFault: redisFailedUninjected,
      },
      slowestCallMs: slowest,
      convergenceMs: undefined,
    },
  };
}
