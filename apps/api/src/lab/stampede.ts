import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Cache, NamespaceCounters, Protection } from "@hoard/cache";
import type { Logger } from "pino";
import type { AppRedis } from "../cache/redis-connection.js";
import type { InstanceInfo } from "../instances/heartbeat.js";
import type { UserService } from "../users/user-service.js";
import { burstInputSchema, burstResultSchema } from "./burst-schema.js";
import { histogramOf, type LatencyHistogram, mergeHistograms } from "./histogram.js";
import { releaseIfHeld } from "./run-lock.js";

/** What `lab.stampede` takes. */
export interface StampedeInput {
  /** The user id to stampede on (default: the first user). */
  id?: number | undefined;
  /** Concurrent calls in total, 1-2000. */
  concurrency: number;
  mode: Protection;
  /** Spread the calls over every live instance (through their HTTP endpoints) instead of this one only. */
  spread: boolean;
}

/** What one instance is asked to fire (`lab.fire`, internal). */
export interface BurstInput {
  runId: string;
  id: number;
  calls: number;
  mode: Protection;
  /** Epoch ms at which every instance fires, so the bursts overlap. */
  startAt: number;
}

/** One instance's part of a run. */
export interface BurstResult {
  instanceId: string;
  url: string;
  calls: number;
  /** Loader calls that read Postgres. */
  dbLoads: number;
  coalesced: number;
  lockWaits: number;
  lockTimeouts: number;
  errors: number;
  histogram: LatencyHistogram;
  /** Set when the instance could not be reached or failed the burst. */
  failure?: string;
}

export interface StampedeResult {
  runId: string;
  id: number;
  mode: Protection;
  concurrency: number;
  spread: boolean;
  durationMs: number;
  dbLoads: number;
  coalesced: number;
  lockWaits: number;
  lockTimeouts: number;
  errors: number;
  histogram: LatencyHistogram;
  instances: BurstResult[];
}

/** Thrown when a run is already under way somewhere in the cluster. */
export class LabBusyError extends Error {
  override name = "LabBusyError";
}

/** Thrown when `lab.fire` is not the coordinator's one call for the current run and this instance. */
export class LabFireRefusedError extends Error {
  override name = "LabFireRefusedError";
}

const RUN_LOCK_TTL_MS = 120_000;

/**
 * The stampede lab: clears one key, then fires `concurrency` concurrent reads
 * of it with a given protection, from this instance or spread over all live
 * instances, and counts what reached Postgres. One run at a time in the whole
 * cluster (a Redis lock; CONFLICT otherwise).
 */
export class StampedeLab {
  constructor(
    private readonly deps: {
      cache: Cache;
      users: UserService;
      redis: AppRedis | undefined;
      prefix: string;
      self: () => { id: string; url: string };
      instances: () => Promise<InstanceInfo[]>;
      firstUserId: () => Promise<number | undefined>;
      log: Logger;
    },
  ) {}

  async run(input: StampedeInput, authorization: string | undefined): Promise<StampedeResult> {
    const runId = randomUUID();
    const lockKey = this.lockKey();
    const locked = this.deps.redis ? await this.deps.redis.set(lockKey, runId, "PX", RUN_LOCK_TTL_MS, "NX") : "OK";
    if (locked !== "OK") throw new LabBusyError("A stampede run is already under way in this cluster; try again when it ends.");
    try {
      const id = input.id ?? (await this.deps.firstUserId()) ?? 1;
      await this.deps.users.namespace.delete(id);
      const self = this.deps.self();
      const targets = input.spread ? await this.liveTargets(self) : [self];
      const shares = split(input.concurrency, targets.length);
      // Remote instances need a moment to get the call; the bus drops their L1 copy meanwhile.
      const startAt = Date.now() + (targets.length > 1 ? 300 : 0);
      const started = performance.now();
      const bursts = targets.map((target, i): [typeof target, BurstInput] => [
        target,
        { runId, id, calls: shares[i] as number, mode: input.mode, startAt },
      ]);
      // Each remote share is written where only that instance takes it, once, while this run holds the lock.
      await Promise.all(bursts.filter(([target]) => target.id !== self.id).map(([target, burst]) => this.storeShare(target.id, burst)));
      const parts = await Promise.all(
        bursts.map(([target, burst]) => (target.id === self.id ? this.fire(burst) : this.fireRemote(target, burst, authorization))),
      );
      const sum = (pick: (part: BurstResult) => number) => parts.reduce((total, part) => total + pick(part), 0);
      const result: StampedeResult = {
        runId,
        id,
        mode: input.mode,
        concurrency: input.concurrency,
        spread: input.spread,
        durationMs: Math.round(performance.now() - started),
        dbLoads: sum((p) => p.dbLoads),
        coalesced: sum((p) => p.coalesced),
        lockWaits: sum((p) => p.lockWaits),
        lockTimeouts: sum((p) => p.lockTimeouts),
        errors: sum((p) => p.errors),
        histogram: mergeHistograms(parts.filter((p) => !p.failure).map((p) => p.histogram)),
        instances: parts,
      };
      this.deps.log.info({ ...result, histogram: undefined, instances: parts.length }, "stampede run finished");
      return result;
    } finally {
      await this.releaseRunLock(lockKey, runId).catch((error: Error) => this.deps.log.warn({ err: error }, "lab lock release failed"));
    }
  }

  /** Deletes the run lock if this run still holds it (atomically: {@link releaseIfHeld}). */
  private async releaseRunLock(lockKey: string, runId: string): Promise<void> {
    if (this.deps.redis) await releaseIfHeld(this.deps.redis, lockKey, runId);
  }

  private lockKey(): string {
    return `${this.deps.prefix}:lab:run`;
  }

  private shareKey(runId: string, instanceId: string): string {
    return `${this.deps.prefix}:lab:share:${runId}:${instanceId}`;
  }

  private async storeShare(instanceId: string, burst: BurstInput): Promise<void> {
    await this.deps.redis?.set(this.shareKey(burst.runId, instanceId), JSON.stringify(burst), "PX", RUN_LOCK_TTL_MS);
  }

  /**
   * `lab.fire`: runs this instance's share of run `runId`, only if that run holds the cluster's lab lock
   * and its coordinator left a share for this instance; the share is taken (GETDEL), so it fires once.
   * Anything else is LabFireRefusedError: a caller cannot fire bursts of its own, repeat one, or batch them.
   */
  async fireShare(runId: string): Promise<BurstResult> {
    const redis = this.deps.redis;
    if (!redis) throw new LabFireRefusedError("lab.fire needs Redis: without it there is no spread run to take part in.");
    if ((await redis.get(this.lockKey())) !== runId) throw new LabFireRefusedError(`Run ${runId} is not the lab's current run.`);
    const stored = await redis.getdel(this.shareKey(runId, this.deps.self().id));
    if (stored === null) throw new LabFireRefusedError(`No share of run ${runId} is waiting for this instance (or it already fired).`);
    const burst = burstInputSchema.safeParse(safeJson(stored));
    if (!burst.success || burst.data.runId !== runId) throw new LabFireRefusedError(`The share of run ${runId} is malformed.`);
    return this.fire(burst.data);
  }

  /** Runs this instance's share of a run: waits for `startAt`, then fires every call at once. */
  private async fire(input: BurstInput): Promise<BurstResult> {
    const before = this.counters();
    const wait = input.startAt - Date.now();
    if (wait > 0) await sleep(Math.min(wait, 5_000));
    let errors = 0;
    const latencies = await Promise.all(
      Array.from({ length: input.calls }, async () => {
        const started = performance.now();
        try {
          await this.deps.users.byId(input.id, input.mode);
        } catch (error) {
          errors++;
          this.deps.log.debug({ err: error }, "stampede call failed");
        }
        return performance.now() - started;
      }),
    );
    const after = this.counters();
    const self = this.deps.self();
    return {
      instanceId: self.id,
      url: self.url,
      calls: input.calls,
      dbLoads: after.loads - before.loads,
      coalesced: after.coalesced - before.coalesced,
      lockWaits: after.lockWaits - before.lockWaits,
      lockTimeouts: after.lockTimeouts - before.lockTimeouts,
      errors,
      histogram: histogramOf(latencies),
    };
  }

  private async liveTargets(self: { id: string; url: string }): Promise<{ id: string; url: string }[]> {
    const live = await this.deps.instances();
    return live.some((instance) => instance.id === self.id) ? live : [self, ...live];
  }

  /** Calls `lab.fire` on another instance over HTTP, with the caller's own bearer token. */
  private async fireRemote(
    target: { id: string; url: string },
    input: BurstInput,
    authorization: string | undefined,
  ): Promise<BurstResult> {
    try {
      const response = await fetch(`${target.url}/trpc/lab.fire`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ runId: input.runId }),
        signal: AbortSignal.timeout(60_000),
      });
      const body = (await response.json()) as { result?: { data: unknown }; error?: { message: string } };
      if (!response.ok || !body.result) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
      // A peer's answer is checked like any input: a malformed one is that instance's failure, not a 500.
      const result = burstResultSchema.safeParse(body.result.data);
      if (!result.success)
        throw new Error(`malformed answer: ${result.error.issues[0]?.path.join(".") ?? ""} ${result.error.issues[0]?.message ?? ""}`);
      return result.data;
    } catch (error) {
      this.deps.log.warn({ err: error, instance: target.url }, "stampede: instance did not run its share");
      return {
        instanceId: target.id,
        url: target.url,
        calls: input.calls,
        dbLoads: 0,
        coalesced: 0,
        lockWaits: 0,
        lockTimeouts: 0,
        errors: input.calls,
        histogram: histogramOf([]),
        failure: (error as Error).message,
      };
    }
  }

  /** The cache's own counters of the user namespace: `loads` is the one count of loader calls (database loads). */
  private counters(): Pick<NamespaceCounters, "loads" | "coalesced" | "lockWaits" | "lockTimeouts"> {
    const user = this.deps.cache.stats().namespaces.find((namespace) => namespace.name === this.deps.users.namespace.name);
    return user?.counters ?? { loads: 0, coalesced: 0, lockWaits: 0, lockTimeouts: 0 };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Splits `total` into `parts` near-equal shares (the first ones get the remainder). */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}
