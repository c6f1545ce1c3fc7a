import type { FlightStamp } from "../coordination/single-flight.js";
import { newToken } from "../coordination/token.js";
import type { CacheId } from "../encoding/keys.js";
import { checkTags } from "../encoding/tags.js";
import { type EntryPolicy, type GetOrSetOptions, validateCallOptions } from "../options.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";
import { runLoader } from "./loader-runner.js";
import type { BatchLoader, FlightResult, Loader } from "./namespace-types.js";
import { mergePolicy } from "./policy.js";
import type { ReadPath } from "./read-path.js";

/** `getOrSetMany`: one L1 pass, one L2 round trip, one batch loader call for the misses. */
export class BatchLoad<T> {
  /** `core` is the namespace's read path: batch loads store through its fenced fill. */
  constructor(private readonly core: ReadPath<T>) {}

  /**
   * Fetches many ids with one read per tier and one `batchLoader` call for the
   * misses. Results are aligned with `ids`; absent ids are null. Concurrent
   * `getOrSet` calls for ids being loaded here join this load.
   */
  async getOrSetMany(ids: CacheId[], batchLoader: BatchLoader<T>, options?: GetOrSetOptions): Promise<(T | null)[]> {
    this.core.assertOpen();
    if (options) validateCallOptions(options);
    const policy = mergePolicy(this.core.policy, options);
    const tags = options?.tags === undefined ? undefined : checkTags(options.tags, "getOrSetMany()");
    const started = performance.now();
    const keys = ids.map((id) => this.core.keys.valueKey(id));
    const results = new Array<T | null>(ids.length).fill(null);
    let pending: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const entry = this.core.useL1 ? this.core.freshFromL1(keys[i] as string) : undefined;
      if (entry) results[i] = entry.value as T | null;
      else pending.push(i);
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
          // Expired on demand or by tag, or dead by tag: loaded again with the misses (batches serve nothing stale).
          if (entry && now < entry.freshUntil && !entry.expired && (await this.core.verdictOf(entry)) === "fresh") {
            results[i] = entry.value;
            this.core.countHit(keys[i] as string, "l2", entry.negative);
            this.core.fillL1(keys[i] as string, entry, stamp.mark, stamp.epoch);
          } else {
            this.core.stats.counters.l2Misses++;
            stillMissing.push(i);
          }
        }
        pending = stillMissing;
      }
    }
    if (pending.length > 0) await this.loadMany(ids, keys, pending, results, batchLoader, policy, stamp);
    this.core.stats.record("getOrSetMany", performance.now() - started);
    return results;
  }
  async loadMany(
    ids: CacheId[],
    keys: string[],
    pending: number[],
    results: (T | null)[],
    batchLoader: BatchLoader<T>,
    policy: EntryPolicy,
    stamp: FlightStamp,
  ): Promise<void> {
    const coalesce = policy.protection !== "none";
    const joined: Promise<void>[] = [];
    const toLoad: number[] = [];
    /** Later positions of an id already in `toLoad`: the loader sees each id once. */
    const copies = new Map<string, number[]>();
    for (const i of pending) {
      const key = keys[i] as string;
      const first = copies.get(key);
      if (first) {
        first.push(i);
        continue;
      }
      const running = coalesce ? this.core.joinFlight(key) : undefined;
      if (running) {
        this.core.stats.counters.coalesced++;
        joined.push(
          running.then(async (resolved) => {
            // Refused as it landed (a tag of its entry was invalidated since it began): read this id anew.
            results[i] = resolved
              ? resolved.value
              : (await this.core.getOrSet(key, ids[i] as CacheId, singly(batchLoader), { ...policy, tags: stamp.tags })).value;
          }),
        );
      } else {
        toLoad.push(i);
        copies.set(key, []);
      }
    }
    // Observed now, so a failure of a joined flight is never unhandled while this batch's own load runs.
    const joinedAll = Promise.all(joined);
    joinedAll.catch(() => {});
    this.core.stats.counters.misses += pending.length - joined.length;
    if (toLoad.length > 0) {
      const tokens = toLoad.map(() => newToken());
      const leases = await Promise.all(
        toLoad.map((i, n) => this.core.takeLease(this.core.lockKeys(keys[i] as string), tokens[n] as string, policy)),
      );
      const started = performance.now();
      this.core.stats.counters.loads++;
      const batch = (async () => {
        const { value: answer } = await runLoader(
          () => batchLoader(toLoad.map((i) => ids[i] as CacheId)),
          toLoad.map((i) => ids[i]),
          policy.hardTimeoutMs,
        );
        return toLoad.map((i, n) => (answer instanceof Map ? fromMap(answer, ids[i] as CacheId) : answer[n]));
      })();
      const stored = toLoad.map((i, n) => {
        const key = keys[i] as string;
        const fence = {
          token: tokens[n] as string,
          leased: leases[n] as boolean,
          locked: false,
          mark: stamp.mark,
          epoch: stamp.epoch,
          tagSeq: stamp.tagSeq,
          tags: stamp.tags,
          lockKeys: this.core.lockKeys(key),
        };
        const work = async (): Promise<FlightResult<T>> => {
          const loaded = (await batch)[n] as T | null | undefined;
          const { value, tags } = await this.core.store(key, loaded, policy, performance.now() - started, fence);
          return { value, source: "loader", tags };
        };
        // Registered as this key's flight, so a concurrent getOrSet of the same id joins the batch.
        return coalesce ? this.core.flights.run(key, work, stamp) : work();
      });
      batch.catch(() => this.core.stats.counters.loadErrors++);
      const values = await Promise.all(stored);
      toLoad.forEach((i, n) => {
        const value = (values[n] as FlightResult<T>).value;
        results[i] = value;
        for (const copy of copies.get(keys[i] as string) ?? []) results[copy] = value;
      });
    }
    await joinedAll;
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
