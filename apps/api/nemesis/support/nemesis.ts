import { setTimeout as sleep } from "node:timers/promises";
import { call } from "./api-client.js";
import type { History } from "./history.js";
import type { LinkFault } from "./link-proxy.js";
import { describeFault, type Fault, type Schedule } from "./schedule.js";
import type { System } from "./system.js";
import type { Workload } from "./workload.js";

/** Postgres latency on a lock holder's link, so its load is still running when it dies. */
const HOLDER_LOAD_DELAY_MS = 1_500;

/**
 * Plays a schedule against a running system: each fault starts at its time,
 * is healed after its duration, and its real window is written to the
 * history. Instances it kills leave the load balancer's rotation until they
 * are back.
 */
export class Nemesis {
  readonly live: Set<number>;
  /** Per instance, the end of its last kill fault (restart included). */
  private readonly instanceFaults = new Map<number, Promise<void>>();

  constructor(
    private readonly system: System,
    private readonly history: History,
    private readonly workload: () => Workload,
    /** The stampede targets (the lock-holder kill takes one no stampede is using). */
    private readonly hotIds: () => number[],
  ) {
    this.live = new Set(system.instances.map((_, i) => i));
  }

  /** Runs every fault of `schedule` from now; resolves when the last is healed. */
  async play(schedule: Schedule): Promise<void> {
    const started = Date.now();
    await Promise.all(
      schedule.faults.map(async (fault) => {
        await sleep(Math.max(0, started + fault.startMs - Date.now()));
        // A kill of an instance waits until its previous kill is over, restart included (a restart, or a
        // lock-holder kill's wait for its waiters, can outlast the schedule's spacing on a loaded machine;
        // two at once raced two starts on one port).
        const exclusive = fault.kind === "instance-kill" || fault.kind === "lock-holder-kill" ? fault.instance : undefined;
        const previous = exclusive === undefined ? undefined : this.instanceFaults.get(exclusive);
        let done = () => {};
        if (exclusive !== undefined) this.instanceFaults.set(exclusive, new Promise<void>((resolve) => (done = resolve)));
        await previous;
        const from = Date.now();
        try {
          await this.inject(fault);
        } finally {
          this.history.faults.push({
            faultId: fault.id,
            description: describeFault(fault),
            kind: fault.kind,
            ...("instance" in fault ? { instance: fault.instance } : {}),
            from,
            to: Date.now(),
          });
          done();
        }
      }),
    );
  }

  private link(fault: LinkFault, instance: number, link: "redis" | "postgres"): () => void {
    const proxy = this.system.links[instance]?.[link];
    if (!proxy) throw new Error(`instance ${instance} has no ${link} proxy on this topology`);
    return proxy.apply(fault);
  }

  /** Applies `fault`, waits its duration, heals it. */
  private async inject(fault: Fault): Promise<void> {
    const { system } = this;
    const hold = () => sleep(fault.durationMs);
    switch (fault.kind) {
      case "redis-partition":
      case "bus-partition":
      case "postgres-partition": {
        const link = fault.kind === "postgres-partition" ? "postgres" : "redis";
        const heal = this.link({ kind: fault.mode, of: fault.kind === "bus-partition" ? "bus" : "all" }, fault.instance, link);
        await hold();
        heal();
        return;
      }
      case "half-open": {
        const link = fault.link === "postgres" ? "postgres" : "redis";
        const of = fault.link === "redis-bus" ? "bus" : fault.link === "redis-data" ? "data" : "all";
        const heal = this.link({ kind: "half-open", of }, fault.instance, link);
        await hold();
        heal();
        return;
      }
      case "latency": {
        const heal = this.link(
          { kind: "latency", of: "all", delayMs: fault.delayMs, jitterMs: fault.jitterMs },
          fault.instance,
          fault.link,
        );
        await hold();
        heal();
        return;
      }
      case "redis-pause": {
        system.redis?.pause();
        await hold();
        system.redis?.resume();
        return;
      }
      case "redis-kill": {
        await system.redis?.kill();
        await hold();
        await system.redis?.start();
        return;
      }
      case "instance-kill": {
        await this.killInstance(fault.instance);
        await hold();
        await this.restartInstance(fault.instance);
        return;
      }
      case "lock-holder-kill":
        await this.killLockHolder(fault.instance);
        await hold();
        await this.restartInstance(fault.instance);
        return;
      case "cluster-master-kill": {
        const cluster = system.cluster;
        if (!cluster) return;
        const masters = await cluster.masters();
        const victim = masters[fault.master % Math.max(1, masters.length)];
        if (!victim) return;
        await victim.kill();
        await hold();
        await victim.start();
        await cluster.waitHealthy();
        return;
      }
    }
  }

  private async killInstance(instance: number): Promise<void> {
    this.live.delete(instance);
    await this.system.instances[instance]?.kill();
  }

  private async restartInstance(instance: number): Promise<void> {
    await this.system.instances[instance]?.start();
    this.live.add(instance);
  }

  /**
   * A stampede whose lock holder dies mid-load: the victim's Postgres link
   * is slowed, it misses on an invalidated hot key (taking the lock), the
   * other instances pile onto the key, then the victim is SIGKILLed.
   */
  private async killLockHolder(victim: number): Promise<void> {
    const workload = this.workload();
    const others = [...this.live].filter((each) => each !== victim);
    const id = this.hotIds().find((each) => workload.gate.enter(each));
    if (id === undefined) return this.killInstance(victim);
    if (!this.live.has(victim) || others.length === 0) {
      workload.gate.leave(id);
      return this.killInstance(victim);
    }
    const slow = this.link({ kind: "latency", of: "all", delayMs: HOLDER_LOAD_DELAY_MS, jitterMs: 0 }, victim, "postgres");
    try {
      const url = workload.urlOf(victim);
      const invalidated = await call(url, "cache.invalidate", { namespace: "user", id }, true);
      if (!invalidated.ok) return this.killInstance(victim);
      const startAt = Date.now();
      const holder = call(url, "inspect.lookup", { id }, false); // dies with the victim; not a client's failure
      await sleep(300);
      const waiters = workload.lookups(id, others, 12, startAt, victim);
      await sleep(200);
      await this.killInstance(victim);
      await Promise.all([holder, waiters]);
    } finally {
      slow();
      workload.gate.leave(id);
    }
  }
}
