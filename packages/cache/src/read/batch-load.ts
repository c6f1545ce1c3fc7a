import { keepLockAlive } from "../coordination/lock-renewal.js";
import type { FlightStamp } from "../coordination/single-flight.js";
import { newToken } from "../coordination/token.js";
import type { CacheId } from "../encoding/keys.js";
import { checkTags } from "../encoding/tags.js";
import { BatchLoadError, InvalidOptionError, LoaderTimeoutError } from "../errors.js";
import { type EntryPolicy, type GetOrSetOptions, validateCallOptions } from "../options.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";
import { claimForBatch } from "./batch-claim.js";
import { BatchGatherer } from "./batch-gather.js";
import { runLoader } from "./loader-runner.js";
import type { BatchLoader, Fence, FlightResult, Loader, StaleCandidate } from "./namespace-types.js";
import { mergePolicy } from "./policy.js";
import type { ReadPath } from "./read-path.js";

/** One distinct id of a batch that this call resolves itself (neither an L1/L2 hit nor a joined flight). */
interface BatchItem<T> {
  /** Its first position in the call: the loader is asked in call order. */
  index: number;
  id: CacheId;
  key: string;
  stale: StaleCandidate<T> | undefined;
  token: string;
  leased: boolean;
  locked: boolean;
  /** Stops renewing its lock (started when the lock is taken, so it never lapses while the batch gathers). */
  stopRenewing: (() => void) | undefined;
  settle: { resolve(resolved: FlightResult<T>): void; reject(error: unknown): void };
}

/** What a batch read before loading (the marks that fence its fills, the tags of the call): its flights' stamp. */
type BatchStart = FlightStamp;

/**
 * `getOrSetMany`: one L1 pass, one L2 round trip, one pipelined lock (or lease) round trip for the misses,
 * one batch loader call for the ids this process got to load, and fail-safe per id as `getOrSet` has it.
 */
export class BatchLoad<T> {
  /** `core` is the namespace's read path: batch loads store through its fenced fill. */
  constructor(private readonly core: ReadPath<T>) {}

  /**
   * Fetches many ids with one read per tier and one `batchLoader` call for the
   * misses. Results are aligned with `ids`; absent ids are null. Concurrent
   * `getOrSet` calls for ids being loaded here join this load; with distributed
   * protection, ids another process is loading are waited on. When the loader
   * fails, ids with a stale copy get it; if some have none, a {@link BatchLoadError}.
   */
  async getOrSetMany(ids: CacheId[], batchLoader: BatchLoader<T>, options?: GetOrSetOptions): Promise<(T | null)[]> {
    this.core.assertOpen();
    if (options) validateCallOptions(options);
    const policy = mergePolicy(this.core.policy, options);
    const tags = options?.tags === undefined ? undefined : checkTags(options.tags, "getOrSetMany()");
    const started = performance.now();
    const keys = ids.map((id) => this.core.keys.valueKey(id));
    const results = new Array<T | null>(ids.length).fill(null);
    const stales = new Array<StaleCandidate<T> | undefined>(ids.length);
    let pending: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const entry = this.core.useL1 ? this.core.freshFromL1(keys[i] as string) : undefined;
      if (entry) results[i] = entry.value as T | null;
      else {
        pending.push(i);
        stales[i] = this.core.staleFromL1(keys[i] as string);
      }
    }
    // Read before L2: a flight of this batch is not joinable past an invalidation since.
    const stamp = this.core.flightStamp(tags);
    if (pending.length > 0 && this.core.l2) {
      const raw = await this.core.l2.mget(pending.map((i) => keys[i] as string));
      if (raw !== UNAVAILABLE) {
        const now = this.core.clock.now();
        const stillMissing: number[] = [];
        for (let p = 0; p < pending.length; p++) {
          const i = pending[p] as number;
          // A key whose delete is still to be replayed is not taken from L2 (it may be the old value).
          const entry = this.core.pending.covers(keys[i] as string)
            ? undefined
            : await this.core.decodeOrDrop(keys[i] as string, raw[p] ?? null);
          const verdict = entry ? await this.core.verdictOf(entry) : undefined;
          if (entry && now < entry.freshUntil && !entry.expired && verdict === "fresh") {
            results[i] = entry.value;
            this.core.countHit(keys[i] as string, "l2", entry.negative);
            this.core.fillL1(keys[i] as string, entry, stamp.mark, stamp.epoch);
          } else {
            // Expired (by TTL, on demand or by tag) but within grace: loaded again, and kept for fail-safe.
            if (entry && (verdict === "fresh" || verdict === "expired") && now < entry.staleUntil) stales[i] = entry;
            this.core.stats.counters.l2Misses++;
            stillMissing.push(i);
          }
        }
        pending = stillMissing;
      }
    }
    const failures = new Map<number, unknown>();
    if (pending.length > 0) {
      await this.#resolveMisses(ids, keys, pending, { results, stales, failures }, batchLoader, policy, stamp);
    }
    this.core.stats.record("getOrSetMany", performance.now() - started);
    if (failures.size > 0) {
      const failed = [...failures.keys()].sort((a, b) => a - b);
      const partial: (T | null | undefined)[] = results.map((value, i) => (failures.has(i) ? undefined : value));
      throw new BatchLoadError(
        failed.map((i) => ids[i]),
        partial,
        failures.get(failed[0] as number),
      );
    }
    return results;
  }

  /** The misses: joined to flights under way here, served stale while throttled, or claimed and loaded. */
  async #resolveMisses(
    ids: CacheId[],
    keys: string[],
    pending: number[],
    out: { results: (T | null)[]; stales: (StaleCandidate<T> | undefined)[]; failures: Map<number, unknown> },
    batchLoader: BatchLoader<T>,
    policy: EntryPolicy,
    start: BatchStart,
  ): Promise<void> {
    const core = this.core;
    const coalesce = policy.protection !== "none";
    const answers: Promise<void>[] = [];
    const items: BatchItem<T>[] = [];
    /** Each distinct key's first position, and its later ones: the loader sees each id once. */
    const positions = new Map<string, { first: number; copies: number[] }>();
    const answer = (i: number, resolved: Promise<FlightResult<T> | undefined>) =>
      answers.push(
        resolved.then(
          async (value) => {
            // undefined: a joined flight refused as it landed (a tag of its entry was invalidated since it
            // began): this id is read anew on its own.
            out.results[i] = value
              ? value.value
              : (await core.getOrSet(keys[i] as string, ids[i] as CacheId, singly(batchLoader), { ...policy, tags: start.tags })).value;
          },
          (error: unknown) => {
            out.failures.set(i, error);
          },
        ),
      );
    for (const i of pending) {
      const key = keys[i] as string;
      const seen = positions.get(key);
      if (seen) {
        seen.copies.push(i);
        continue;
      }
      positions.set(key, { first: i, copies: [] });
      const running = coalesce ? core.joinFlight(key) : undefined;
      if (running) {
        core.stats.counters.coalesced++;
        answer(i, running);
        continue;
      }
      core.stats.counters.misses++;
      const stale = out.stales[i];
      if (stale && core.throttle.active(key, core.clock.now())) {
        // The loader failed moments ago for this id: serve its stale copy until the throttle ends.
        out.results[i] = core.serveStale(key, stale, "throttled").value;
        continue;
      }
      let settle!: BatchItem<T>["settle"];
      const settled = new Promise<FlightResult<T>>((resolve, reject) => {
        settle = { resolve, reject };
      });
      items.push({
        index: i,
        id: ids[i] as CacheId,
        key,
        stale,
        token: newToken(),
        leased: false,
        locked: false,
        stopRenewing: undefined,
        settle,
      });
      // Registered as this key's flight, so a concurrent getOrSet (or batch) of the same id here joins this one.
      answer(i, coalesce ? core.flights.run(key, () => settled, start) : settled);
    }
    if (items.length > 0) await this.#claimAndLoad(items, batchLoader, policy, start);
    await Promise.all(answers);
    for (const { first, copies } of positions.values()) {
      for (const copy of copies) {
        if (out.failures.has(first)) out.failures.set(copy, out.failures.get(first));
        else out.results[copy] = out.results[first] as T | null;
      }
    }
  }

  /**
   * Claims every item at once (locks with distributed protection, else leases: one pipelined round trip),
   * loads the claimed ones in one loader call, and settles the rest as their waits end: a value
   * another process filled, a stale copy, an error, or a later loader call for ids taken over.
   */
  async #claimAndLoad(items: BatchItem<T>[], batchLoader: BatchLoader<T>, policy: EntryPolicy, start: BatchStart): Promise<void> {
    const core = this.core;
    const gatherer = new BatchGatherer<BatchItem<T>>(items.length, (group) => this.#loadGroup(group, batchLoader, policy, start));
    let answered = 0;
    const claims = items.map((item) => {
      let counted = false;
      const count = () => {
        if (counted) return;
        counted = true;
        if (++answered === items.length) gatherer.firstRoundDone();
      };
      return claimForBatch(core, item.key, item.token, policy, item.stale, count)
        .then(
          (claim) => {
            if (claim.kind === "load") {
              item.leased = claim.leased;
              item.locked = claim.locked;
              if (claim.locked && core.l2) {
                item.stopRenewing = keepLockAlive(core.l2, core.lockKeys(item.key).lock, item.token, policy.lockTtlMs, core.leaseTtlMs);
              }
              gatherer.add(item);
            } else if (claim.kind === "value") {
              core.countHit(item.key, "l2", claim.entry.negative);
              core.fillL1(item.key, claim.entry, start.mark, start.epoch);
              item.settle.resolve({ value: claim.entry.value, source: "lock-wait", tags: claim.entry.tags });
            } else if (claim.kind === "stale") {
              item.settle.resolve(core.serveStale(item.key, item.stale as StaleCandidate<T>, claim.reason));
            } else {
              item.settle.reject(claim.error);
            }
          },
          (error: unknown) => item.settle.reject(error),
        )
        .finally(() => {
          count();
          gatherer.settled();
        });
    });
    await Promise.all(claims);
    await gatherer.settledGroups();
  }

  /** One batch loader call for `group`, with their locks kept alive; each result stored through the fenced fill. */
  async #loadGroup(claimed: BatchItem<T>[], batchLoader: BatchLoader<T>, policy: EntryPolicy, start: BatchStart): Promise<void> {
    const core = this.core;
    // Claims settle in the order Redis answers them (per node on a cluster): ask in the caller's order.
    const group = claimed.sort((a, b) => a.index - b.index);
    const fences = group.map(
      (item): Fence => ({ ...start, token: item.token, leased: item.leased, locked: item.locked, lockKeys: core.lockKeys(item.key) }),
    );
    const ids = group.map((item) => item.id);
    const started = performance.now();
    core.stats.counters.loads++;
    let loaded: (T | null | undefined)[];
    try {
      const { value: answer } = await runLoader(() => batchLoader(ids), ids, policy.hardTimeoutMs);
      loaded = group.map((item, n) => (answer instanceof Map ? fromMap(answer, item.id) : answer[n]));
    } catch (error) {
      for (const item of group) item.stopRenewing?.();
      core.stats.counters.loadErrors++;
      await Promise.all(group.map((item, n) => this.#failSafe(item, fences[n] as Fence, error, policy)));
      return;
    }
    for (const item of group) item.stopRenewing?.();
    const loadMs = performance.now() - started;
    core.stats.record("load", loadMs);
    await Promise.all(
      group.map(async (item, n) => {
        try {
          const { value, tags } = await core.store(item.key, loaded[n], policy, loadMs, fences[n] as Fence);
          core.throttle.end(item.key);
          item.settle.resolve({ value, source: "loader", tags });
        } catch (error) {
          item.settle.reject(error);
        }
      }),
    );
  }

  /** After a failed batch load: frees the id's lock; serves its stale copy (and throttles its loader), else fails it. */
  async #failSafe(item: BatchItem<T>, fence: Fence, error: unknown, policy: EntryPolicy): Promise<void> {
    const core = this.core;
    if (item.locked) await core.releaseLock(item.key, fence);
    if (!item.stale || error instanceof InvalidOptionError) return item.settle.reject(error);
    const reason = error instanceof LoaderTimeoutError ? "hard-timeout" : "loader-error";
    core.throttle.start(item.key, core.clock.now() + policy.failSafeThrottleMs, policy.failSafeThrottleMs);
    item.settle.resolve(core.serveStale(item.key, item.stale, reason));
  }
}

/** The batch loader as a loader of one id (for an id read again on its own). */
function singly<T>(batchLoader: BatchLoader<T>): Loader<T> {
  return async ({ id }) => {
    const answer = await batchLoader([id]);
    return answer instanceof Map ? fromMap(answer, id) : answer[0];
  };
}

/**
 * The batch loader's answer for `id` from a Map: keyed by the id itself, or by the same id in the
 * other type (a number id answered under `String(id)`, a numeric string id under its number), as
 * loaders reading ids from a database row or a URL often do. Missing is absent.
 */
function fromMap<V>(answer: Map<CacheId, V>, id: CacheId): V | undefined {
  if (answer.has(id)) return answer.get(id);
  if (typeof id === "number") return answer.get(String(id));
  const asNumber = Number(id);
  return String(asNumber) === id ? answer.get(asNumber) : undefined;
}
