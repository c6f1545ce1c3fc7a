import { BUS_DELAY_BUDGET_MS } from "../../src/consistency/history.js";
import { until } from "../../test/support/poll.js";
import type { ChaosEnvironment } from "./environment.js";
import type { History } from "./history.js";
import { call, versionOf } from "./http.js";

export { BUS_DELAY_BUDGET_MS };

/** Creates `count` users with `displayName: v0`; returns their ids. */
export async function seedUsers(url: string, count: number, tag: string): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = await call(url, "user.create", { username: `${tag}${i}`, email: `${tag}${i}@example.com`, displayName: "v0" }, true);
    if (!result.ok) throw new Error(`seeding failed: ${JSON.stringify(result.body)}`);
    ids.push((result.body as { id: number }).id);
  }
  return ids;
}

/** Reads every id on every instance once (fills L1 and L2). */
export async function warm(environment: ChaosEnvironment, ids: number[]): Promise<void> {
  await Promise.all(environment.urls.map(async (url) => Promise.all(ids.map((id) => call(url, "user.byId", { id })))));
}

/** Database loads made so far, summed over the instances (from /metrics). */
async function databaseLoads(environment: ChaosEnvironment): Promise<number> {
  let total = 0;
  for (const url of environment.urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split("\n"))
      if (line.startsWith("hoard_cache_loads_total")) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/**
 * Warms until a whole pass over every instance reaches Postgres no more:
 * late invalidations (database notifications of the last writes) have landed
 * and every id is cached everywhere.
 */
export async function warmUntilCached(environment: ChaosEnvironment, ids: number[]): Promise<void> {
  await until(
    "every id cached on every instance",
    async () => {
      const before = await databaseLoads(environment);
      await warm(environment, ids);
      return (await databaseLoads(environment)) === before;
    },
    15_000,
  );
}

/** Whether every instance hears the bus (from /metrics): an instance that never joined it serves others' deleted values. */
async function everyBusConnected(environment: ChaosEnvironment): Promise<boolean> {
  for (const url of environment.urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (!/^hoard_cache_bus_connected 1$/m.test(text)) return false;
  }
  return true;
}

/**
 * Milliseconds from `since` until the cluster works again: every instance is
 * ready and on the bus, and a write made now is read back by every instance.
 */
export async function timeToRecover(environment: ChaosEnvironment, probeId: number, since: number, timeoutMs = 15_000): Promise<number> {
  let version = Date.now();
  await until(
    "the cluster to recover",
    async () => {
      await environment.allReady(250);
      if (!(await everyBusConnected(environment))) return false;
      version++;
      const write = await call(environment.urls[0] as string, "user.update", { id: probeId, patch: { displayName: `v${version}` } }, true);
      if (!write.ok) return false;
      const reads = await Promise.all(environment.urls.map((url) => call(url, "user.byId", { id: probeId })));
      return reads.every((read) => read.ok && versionOf(read.body) >= version);
    },
    timeoutMs,
  );
  return Date.now() - since;
}

/** The figures one scenario reports. */
export interface ScenarioFigures {
  scenario: string;
  requests: number;
  /** Failed reads, except those cut off by an instance the test took down while they were in flight. */
  readFailures: number;
  /** Reads in flight to an instance the test took down (killed or stopped), which failed with it. */
  readsCutOff: number;
  /** The slowest read, in ms. */
  maxReadMs: number;
  /** HTTP status of the failed reads (0: no answer), and how many. */
  readFailureStatuses: Record<string, number>;
  writeFailures: number;
  staleReads: number;
  staleBeyondBudget: number;
  staleAfterRecovery: number;
  recoveryMs: number;
}

/** Counts the history between `from` and `to`; stale after recovery means older than the bus budget, begun after `recoveredAt`. */
export function figures(
  scenario: string,
  history: History,
  window: { from: number; to: number; recoveredAt: number; recoveryMs: number },
): ScenarioFigures {
  const reads = history.reads.filter((read) => read.startAt >= window.from && read.startAt <= window.to);
  const writes = history.writes.filter((write) => write.startAt >= window.from && write.startAt <= window.to);
  const failedWrites = history.failedWrites.filter((write) => write.startAt >= window.from && write.startAt <= window.to);
  const stale = history.staleReads(window.from, window.to);
  if (process.env.CHAOS_DEBUG) {
    // CHAOS_DEBUG=1 lists every stale read, with times relative to the scenario's start.
    for (const each of stale) {
      const { instance, id, version, startAt } = each.read;
      console.log(
        `stale ${scenario}: instance ${instance} id ${id} v${version} at +${startAt - window.from} ms, ` +
          `${each.staleForMs} ms after the newer write (same instance: ${each.sameInstance}); recovered at +${window.recoveredAt - window.from} ms`,
      );
    }
  }
  return {
    scenario,
    requests: reads.length + writes.length + failedWrites.length,
    readFailures: reads.filter((read) => !read.ok && !read.cutOff).length,
    readsCutOff: reads.filter((read) => read.cutOff).length,
    maxReadMs: Math.max(0, ...reads.map((read) => read.endAt - read.startAt)),
    readFailureStatuses: countBy(reads.filter((read) => !read.ok && !read.cutOff).map((read) => String(read.status))),
    writeFailures: failedWrites.length,
    staleReads: stale.length,
    staleBeyondBudget: stale.filter((each) => each.staleForMs > BUS_DELAY_BUDGET_MS).length,
    staleAfterRecovery: stale.filter((each) => each.read.startAt >= window.recoveredAt && each.staleForMs > BUS_DELAY_BUDGET_MS).length,
    recoveryMs: window.recoveryMs,
  };
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
