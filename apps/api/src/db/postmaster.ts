import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** What a cluster's `postmaster.pid` lock says: its server's pid, and whether that pid is a PostgreSQL process now. */
export interface PostmasterLock {
  pid: number;
  port: number;
  isPostgres: boolean;
}

/** Reads `directory/postmaster.pid` (line 1: pid, line 4: port); undefined when there is none. */
export async function readPostmaster(directory: string): Promise<PostmasterLock | undefined> {
  const text = await readFile(join(directory, "postmaster.pid"), "utf8").catch(() => undefined);
  if (!text) return undefined;
  const lines = text.split("\n");
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, port: 0, isPostgres: false };
  // A pid can be reused by an unrelated process after a reboot or in a container: check what it runs.
  const command = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return { pid, port: Number(lines[3]), isPostgres: isAlive(pid) && /postgres/.test(command) };
}

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Polls until `pid` is gone; false if it still runs at the deadline. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
