import { readFileSync } from "node:fs";

/** Linux reports process times in USER_HZ ticks, 100 a second on every architecture it exports them for. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) another process has used so far, in microseconds, from `/proc/<pid>/stat`
 * (10 ms resolution); undefined where there is no /proc (not Linux) or the process is gone.
 */
export function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
