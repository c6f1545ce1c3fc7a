import { setTimeout as sleep } from "node:timers/promises";
import { type CallResult, call, DELETED, idOf, versionOf } from "./api-client.js";
import type { History, OpKind } from "./history.js";
import type { Prng } from "./prng.js";

/** The cache counters a stampede records per instance (as deltas), to tell why it loaded more than once. */
const STAMPEDE_COUNTERS = ["errors", "loads", "lockAcquired", "lockWaits", "lockTimeouts", "fills", "fillsRefused", "misses"] as const;

/** Concurrent lookups in one stampede. */
export const STAMPEDE_CALLS = 24;

/**
 * What the workload draws and how often. Adding a kind is one entry here
 * and one case in `Workload.run`.
 */
export const OP_WEIGHTS: Record<OpKind, number> = {
  read: 60,
  // A page of user.list: a tagged entry (`users:list`), every user on it checked like a read; every write invalidates the tag.
  list: 8,
  write: 22,
  create: 0, // only as the second half of a delete (the slot gets a fresh user)
  delete: 3,
  clear: 2,
  invalidate: 0, // only as the first half of a stampede
  // An admin invalidation of `users:list` racing the page fills of other clients.
  "invalidate-tag": 2,
  stampede: 3,
};

/** The user.list page the workload reads: from the first id, as many as the API allows (the pool stays under it). */
const LIST_PAGE = { cursor: 0, limit: 100 } as const;

/** The users the workload works on, and what the test knows of them. */
export class UserPool {
  /** Ids the readers and writers use; a deleted id's slot gets a freshly created one. */
  readonly slots: number[];
  /** Deleted ids (still read now and then: they must read as absent). */
  readonly retired: number[] = [];
  /** Stampede targets, never written, so their loads count only stampedes. */
  readonly hot: number[];
  /** The version the next write of an id carries. */
  private readonly nextVersion = new Map<number, number>();
  /** Ids with a write in flight (one at a time per id, so versions commit in order). */
  private readonly busy = new Set<number>();

  constructor(slots: number[], hot: number[]) {
    this.slots = slots;
    this.hot = hot;
  }

  /** Claims `id` for a write and returns its next version, or undefined if a write is already in flight. */
  claim(id: number): number | undefined {
    if (this.busy.has(id)) return undefined;
    this.busy.add(id);
    const version = (this.nextVersion.get(id) ?? 0) + 1;
    this.nextVersion.set(id, version);
    return version;
  }

  release(id: number): void {
    this.busy.delete(id);
  }
}

/**
 * Keeps stampedes apart from clears and from each other on one key: a clear,
 * or a second stampede's invalidation, in the middle of a stampede's load
 * voids its lease (as it must), and the reload that follows is no bug.
 */
export class StampedeGate {
  clears = 0;
  /** Hot ids with a stampede under way. */
  private readonly keys = new Set<number>();

  get stampedes(): number {
    return this.keys.size;
  }

  /** Claims `id` for a stampede; false when a clear or another stampede of `id` is under way. */
  enter(id: number): boolean {
    if (this.clears > 0 || this.keys.has(id)) return false;
    this.keys.add(id);
    return true;
  }

  leave(id: number): void {
    this.keys.delete(id);
  }
}

export interface WorkloadOptions {
  clients: number;
  /** Pause between two calls of one client, in ms. */
  pauseMs: number;
  urls: string[];
  /** Instances the load balancer sends to now (the nemesis removes killed ones). */
  live: () => number[];
}

/** A steady workload of reads, list pages, writes, deletes, clears, tag invalidations and stampedes over the instances, every call recorded. */
export class Workload {
  private running = false;
  private loops: Promise<void>[] = [];
  readonly gate = new StampedeGate();

  constructor(
    private readonly options: WorkloadOptions,
    private readonly pool: UserPool,
    private readonly history: History,
    private readonly random: Prng,
  ) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < this.options.clients; i++) this.loops.push(this.loop(this.random.fork()));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(random: Prng): Promise<void> {
    while (this.running) {
      const kind = random.weighted(OP_WEIGHTS);
      await this.run(kind, random);
      await sleep(this.options.pauseMs);
    }
  }

  private pickInstance(random: Prng): number | undefined {
    const live = this.options.live();
    return live.length === 0 ? undefined : random.pick(live);
  }

  private async run(kind: OpKind, random: Prng): Promise<void> {
    const instance = this.pickInstance(random);
    if (instance === undefined) return;
    switch (kind) {
      case "read": {
        const id = random.next() < 0.1 && this.pool.retired.length > 0 ? random.pick(this.pool.retired) : random.pick(this.pool.slots);
        await this.read(instance, id);
        return;
      }
      case "write":
        return this.write(instance, random, false);
      case "delete":
        return this.write(instance, random, true);
      case "clear": {
        if (this.gate.stampedes > 0) return;
        this.gate.clears++;
        try {
          await this.timed("clear", instance, undefined, () => call(this.urlOf(instance), "cache.clear", { namespace: "user" }, true));
        } finally {
          this.gate.clears--;
        }
        return;
      }
      case "list":
        return this.list(instance);
      case "invalidate-tag":
        await this.timed("invalidate-tag", instance, undefined, () =>
          call(this.urlOf(instance), "cache.invalidateTag", { tag: "users:list" }, true),
        );
        return;
      case "stampede":
        await this.stampede(random.pick(this.pool.hot), this.options.live());
        return;
      case "create":
      case "invalidate":
        return;
    }
  }

  urlOf(instance: number): string {
    return this.options.urls[instance] as string;
  }

  /** One user.byId read, recorded with the version it returned. */
  async read(instance: number, id: number): Promise<void> {
    await this.timed(
      "read",
      instance,
      id,
      () => call(this.urlOf(instance), "user.byId", { id }, false),
      (body) => versionOf(body),
      idOf,
    );
  }

  /**
   * One user.list page, recorded as the call and, when it answers, as a read
   * of every user on it (same start and end): a page that shows an older
   * version than an acknowledged write, or a user whose delete was
   * acknowledged, is a stale read like any other.
   */
  async list(instance: number): Promise<void> {
    const result = await this.timed("list", instance, undefined, () => call(this.urlOf(instance), "user.list", LIST_PAGE, false));
    if (!result.ok) return;
    const items = (result.body as { items?: unknown[] }).items ?? [];
    for (const profile of items) {
      const id = idOf(profile);
      if (id === undefined) continue;
      this.history.record({
        kind: "read",
        instance,
        id,
        startAt: result.record.startAt,
        endAt: result.record.endAt,
        ok: true,
        status: result.status,
        version: versionOf(profile),
      });
    }
  }

  private async write(instance: number, random: Prng, remove: boolean): Promise<void> {
    const slot = random.int(0, this.pool.slots.length - 1);
    const id = this.pool.slots[slot] as number;
    const version = this.pool.claim(id);
    if (version === undefined) return;
    try {
      if (remove) {
        const result = await this.timed(
          "delete",
          instance,
          id,
          () => call(this.urlOf(instance), "user.delete", { id }, true),
          () => DELETED,
        );
        // Acknowledged or not (it may have been applied), the id is done with: a fresh user takes its slot.
        this.pool.retired.push(id);
        if (!result.ok) return;
        const created = await this.timed(
          "create",
          instance,
          undefined,
          () =>
            call(
              this.urlOf(instance),
              "user.create",
              { username: `u${id}x${version}`, email: `u${id}x${version}@example.com`, displayName: "v0" },
              true,
            ),
          () => 0,
        );
        if (created.ok) {
          const newId = (created.body as { id: number }).id;
          created.record.id = newId;
          this.pool.slots[slot] = newId;
        }
        return;
      }
      const result = await this.timed(
        "write",
        instance,
        id,
        () => call(this.urlOf(instance), "user.update", { id, patch: { displayName: `v${version}` } }, true),
        () => version,
      );
      // Chase the acknowledged write: the same instance (read-your-writes) or another (races the bus).
      if (result.ok) {
        const live = this.options.live();
        await this.read(random.next() < 0.5 || live.length < 2 ? instance : random.pick(live.filter((each) => each !== instance)), id);
      }
    } finally {
      this.pool.release(id);
    }
  }

  /**
   * Invalidates `id` and fires STAMPEDE_CALLS lookups of it spread over
   * `instances` at once; counts the lookups that reached Postgres.
   */
  async stampede(id: number, instances: number[], lockHolderKilled?: number): Promise<void> {
    if (instances.length === 0 || !this.gate.enter(id)) return;
    try {
      const startAt = Date.now();
      const first = instances[0] as number;
      const invalidated = await this.timed("invalidate", first, id, () =>
        call(this.urlOf(first), "cache.invalidate", { namespace: "user", id }, true),
      );
      if (!invalidated.ok) return;
      await this.lookups(id, instances, STAMPEDE_CALLS, startAt, lockHolderKilled);
    } finally {
      this.gate.leave(id);
    }
  }

  /** `calls` concurrent inspect.lookup calls of `id` over `instances`, recorded as reads and as one stampede. */
  async lookups(id: number, instances: number[], calls: number, startAt: number, lockHolderKilled?: number): Promise<void> {
    const before = await this.cacheCounters(instances);
    const results = await Promise.all(
      Array.from({ length: calls }, (_, i) => {
        const instance = instances[i % instances.length] as number;
        return this.timed(
          "read",
          instance,
          id,
          () => call(this.urlOf(instance), "inspect.lookup", { id }, false),
          (body) => versionOf((body as { user: unknown }).user),
          (body) => idOf((body as { user: unknown }).user),
        );
      }),
    );
    const after = await this.cacheCounters(instances);
    // Per instance: counters as deltas over the stampede (other clients' calls count too); pending and
    // circuitNotClosed as the larger of the two readings.
    const counters =
      before && after
        ? Object.fromEntries(
            [...after].map(([instance, now]) => [
              instance,
              Object.fromEntries(
                Object.entries(now).map(([name, value]) => {
                  const then = before.get(instance)?.[name] ?? 0;
                  return [name, name === "pending" || name === "circuitNotClosed" ? Math.max(value, then) : value - then];
                }),
              ),
            ]),
          )
        : undefined;
    const answered = results.filter((result) => result.ok);
    const answers = results.map((result, i) => {
      const body = (result.ok ? result.body : {}) as { source?: string; ms?: number; answeredAt?: number };
      return {
        instance: instances[i % instances.length] as number,
        source: body.source ?? `failed ${result.status}`,
        serverMs: body.ms ?? -1,
        // The server's own clock (same machine): the client's is late by the answer's transit and its own load.
        endAt: body.answeredAt ?? result.record.endAt,
      };
    });
    this.history.recordStampede({
      id,
      startAt,
      endAt: Date.now(),
      calls,
      loads: answered.filter((result) => (result.body as { source?: string }).source === "database").length,
      failed: results.length - answered.length,
      instances: [...new Set(instances)],
      answers,
      ...(counters
        ? {
            counters,
            redisErrors: Object.values(counters).reduce(
              (sum, each) => sum + (each.errors ?? 0) + (each.circuitNotClosed ?? 0) + (each.circuitOpens ?? 0),
              0,
            ),
          }
        : {}),
      ...(lockHolderKilled === undefined ? {} : { lockHolderKilled }),
    });
  }

  /** Some of each instance's cache counters (and its pending invalidations), or undefined if one did not answer. */
  private async cacheCounters(instances: number[]): Promise<Map<number, Record<string, number>> | undefined> {
    const unique = [...new Set(instances)];
    const answers = await Promise.all(unique.map((instance) => call(this.urlOf(instance), "cache.stats", { of: "self" }, false)));
    if (answers.some((answer) => !answer.ok)) return undefined;
    const counters = new Map<number, Record<string, number>>();
    answers.forEach((answer, i) => {
      const body = answer.body as {
        totals: Record<string, number>;
        tiers: { l2: { pendingInvalidations?: number; circuit?: string; circuitOpens?: number } };
      };
      const picked: Record<string, number> = {
        pending: body.tiers.l2.pendingInvalidations ?? 0,
        circuitNotClosed: body.tiers.l2.circuit === "closed" ? 0 : 1,
        circuitOpens: body.tiers.l2.circuitOpens ?? 0,
      };
      for (const name of STAMPEDE_COUNTERS) picked[name] = body.totals[name] ?? 0;
      counters.set(unique[i] as number, picked);
    });
    return counters;
  }

  /** Runs one call and records it. */
  private async timed(
    kind: OpKind,
    instance: number,
    id: number | undefined,
    send: () => Promise<CallResult>,
    version?: (body: unknown) => number,
    identity?: (body: unknown) => number | undefined,
  ): Promise<CallResult & { record: { id?: number; startAt: number; endAt: number } }> {
    const startAt = Date.now();
    const result = await send();
    const returnedId = identity && result.ok ? identity(result.body) : undefined;
    const record = this.history.record({
      kind,
      instance,
      ...(id === undefined ? {} : { id }),
      startAt,
      endAt: Date.now(),
      ok: result.ok,
      status: result.status,
      ...(version && result.ok ? { version: version(result.body) } : {}),
      ...(returnedId !== undefined && returnedId !== id ? { returnedId } : {}),
    });
    return { ...result, record };
  }
}
