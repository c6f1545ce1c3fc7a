import { call } from "./api-client.js";
import { check, type Figures, type Violation } from "./checker.js";
import { awaitConvergence } from "./convergence.js";
import { History } from "./history.js";
import { Nemesis } from "./nemesis.js";
import { Prng } from "./prng.js";
import { describeFault, INSTANCES, type Schedule } from "./schedule.js";
import { System } from "./system.js";
import { UserPool, Workload } from "./workload.js";

/** The outcome of one seed. */
export interface SeedResult {
  schedule: Schedule;
  figures: Figures;
  violations: Violation[];
  /** Each instance's last output lines (kept for a failed seed). */
  outputs: string[];
  history: History;
}

const SLOT_USERS = 24;
const HOT_USERS = 3;

/** Creates the users the workload starts from (through instance 0). */
async function seedUsers(url: string, seed: number): Promise<UserPool> {
  const ids: number[] = [];
  for (let i = 0; i < SLOT_USERS + HOT_USERS; i++) {
    const created = await call(
      url,
      "user.create",
      { username: `s${seed}u${i}`, email: `s${seed}u${i}@example.com`, displayName: "v0" },
      true,
    );
    if (!created.ok) throw new Error(`could not create users: ${JSON.stringify(created.body)}`);
    ids.push((created.body as { id: number }).id);
  }
  return new UserPool(ids.slice(0, SLOT_USERS), ids.slice(SLOT_USERS));
}

/** Builds the hosts, runs the workload under the schedule, checks the history, tears everything down. */
export async function runSeed(schedule: Schedule, log: (line: string) => void): Promise<SeedResult> {
  log(`seed ${schedule.seed}: ${schedule.redis} Redis, ${schedule.durationMs} ms, ${schedule.faults.length} faults`);
  for (const fault of schedule.faults) log(`  ${describeFault(fault)}`);
  const building = Date.now();
  const system = await System.start(schedule.redis, INSTANCES);
  log(`  hosts up in ${((Date.now() - building) / 1000).toFixed(1)} s`);
  try {
    const history = new History();
    const urls = system.instances.map((instance) => instance.url);
    const pool = await seedUsers(urls[0] as string, schedule.seed);
    let workload: Workload | undefined;
    const nemesis = new Nemesis(
      system,
      history,
      () => workload as Workload,
      () => pool.hot,
    );
    // The workload's own stream: the schedule does not shift when the workload changes.
    workload = new Workload(
      { clients: 5, pauseMs: 15, urls, live: () => [...nemesis.live] },
      pool,
      history,
      new Prng(schedule.seed ^ 0x5eed),
    );
    const started = Date.now();
    workload.start();
    await nemesis.play(schedule);
    const healedAt = Date.now();
    const remaining = started + schedule.durationMs - Date.now();
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    await workload.stop();
    const { violations, figures } = check(history, system.instances);
    const checking = Date.now();
    const converged = await awaitConvergence(history, urls, healedAt);
    log(`  converged after ${((Date.now() - checking) / 1000).toFixed(1)} s of checking`);
    figures.convergenceMs = converged.convergenceMs;
    if (converged.violation) violations.push(converged.violation);
    return { schedule, figures, violations, outputs: system.instances.map((instance) => instance.lastOutput()), history };
  } finally {
    const stopping = Date.now();
    await system.stop();
    log(`  hosts down in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
  }
}
