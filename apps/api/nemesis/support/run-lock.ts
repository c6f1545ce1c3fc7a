import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SLOT } from "./topology.js";

/** One nemesis run per slot: a slot's hosts, bridge and subnet have fixed names (see topology.ts). */
const LOCK_FILE = join(tmpdir(), `hoard-nemesis-slot${SLOT}.lock`);
const POLL_MS = 2_000;

function holder(): number | undefined {
  try {
    const pid = Number(readFileSync(LOCK_FILE, "utf8").trim());
    process.kill(pid, 0); // throws when no such process: a killed run's lock
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Waits (at most `timeoutMs`) until no other live nemesis run holds the
 * machine, then takes it. A second run would remove the first one's hosts
 * as leftovers. Returns the release function (also safe in an exit handler).
 */
export async function takeRunLock(timeoutMs: number, log: (line: string) => void): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const other = holder();
    if (other === undefined) {
      // Two runs racing here both write; the last one wins and the other sees a live holder next time round.
      writeFileSync(LOCK_FILE, String(process.pid));
      if (holder() === process.pid) break;
    } else {
      if (!told) log(`another nemesis run (pid ${other}) holds this machine; waiting for it (at most ${timeoutMs / 1000} s)`);
      told = true;
      if (Date.now() > deadline) throw new Error(`nemesis run ${other} still holds ${LOCK_FILE} after ${timeoutMs / 1000} s`);
    }
    await sleep(POLL_MS);
  }
  return () => {
    if (holder() === process.pid) rmSync(LOCK_FILE, { force: true });
  };
}
