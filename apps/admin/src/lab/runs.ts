import type { Protection, StampedeRun } from "../trpc.js";

/** A finished run as the session table keeps it. */
export interface RecordedRun {
  number: number;
  at: number;
  dbLatencyMs: number;
  run: StampedeRun;
}

const KEY = "hoard.labRuns";

/** The session's runs, oldest first (sessionStorage: they last as long as the tab). */
export function loadRuns(): RecordedRun[] {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) ?? "[]") as unknown;
    return Array.isArray(stored) ? (stored as RecordedRun[]) : [];
  } catch {
    // A corrupt entry is not worth an error page: start a fresh table.
    return [];
  }
}

export function saveRuns(runs: RecordedRun[]): void {
  sessionStorage.setItem(KEY, JSON.stringify(runs.slice(-50)));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One sentence on what happened in a run, per mode. */
export function explainRun(
  run: Pick<StampedeRun, "mode" | "concurrency" | "dbLoads" | "coalesced" | "lockWaits" | "errors" | "instances">,
): string {
  const instances = run.instances.length;
  const failed = run.errors > 0 ? ` ${plural(run.errors, "call")} failed.` : "";
  switch (run.mode) {
    case "none":
      return `No protection: every call that missed went to Postgres on its own, so ${plural(run.concurrency, "concurrent call")} made ${plural(run.dbLoads, "database load")}.${failed}`;
    case "local":
      return instances > 1
        ? `Local single flight shares a load only inside a process: ${plural(instances, "instance")} made ${plural(run.dbLoads, "database load")}, about one each, and ${plural(run.coalesced, "call")} joined their own instance's load.${failed}`
        : `Local single flight: the calls in this process shared one load, so ${plural(run.dbLoads, "database load")} served ${plural(run.concurrency, "call")} and ${plural(run.coalesced, "call")} joined it in memory.${failed}`;
    case "distributed":
      return `Distributed lock: one caller in the whole cluster loaded (${plural(run.dbLoads, "database load")}); ${plural(run.coalesced, "call")} joined it in their process and ${plural(run.lockWaits, "call")} waited on the Redis lock, then read the value from Redis.${failed}`;
  }
}

/** The most recent run of each mode, for the side-by-side summary. */
export function latestPerMode(runs: readonly RecordedRun[]): Partial<Record<Protection, RecordedRun>> {
  const latest: Partial<Record<Protection, RecordedRun>> = {};
  for (const recorded of runs) latest[recorded.run.mode] = recorded;
  return latest;
}

/** Compact bucket labels of the latency histogram (they share one axis): "≤1" ... "≤250" (ms), "≤2.5s", ">5s". */
export function bucketLabels(boundsMs: readonly number[]): string[] {
  const label = (ms: number) => (ms >= 1000 ? `${ms / 1000}s` : `${ms}`);
  return [...boundsMs.map((bound) => `≤${label(bound)}`), `>${label(boundsMs[boundsMs.length - 1] ?? 0)}`];
}

/**
 * The labels of a category axis with one slot of `slotPx` per label, thinned
 * to every n-th (the others blank, the first always kept) so that no two
 * drawn labels are closer than `gapPx`: `widthsPx` are the labels' drawn widths.
 */
export function thinLabels(labels: readonly string[], widthsPx: readonly number[], slotPx: number, gapPx = 4): string[] {
  const widest = Math.max(0, ...widthsPx);
  // Centred labels n slots apart clear each other when n * slot >= widest + gap.
  const every = slotPx > 0 ? Math.max(1, Math.ceil((widest + gapPx) / slotPx)) : labels.length;
  return labels.map((label, i) => (i % every === 0 ? label : ""));
}
