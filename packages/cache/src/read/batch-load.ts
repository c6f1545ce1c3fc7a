import { newToken } from "../coordination/token.js";
import type { CacheId } from "../encoding/keys.js";
import { checkTags } from "../encoding/tags.js";
import { type EntryPolicy, type GetOrSetOptions, validateCallOptions } from "../options.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";
import { runLoader } from "./loader-runner.js";
import type { BatchLoader, Resolved } from "./namespace-types.js";
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
    const mark = this.core.marks.current();
    const epoch = this.core.epoch.value;
    const tagSeq = this.core.tags.startSeq();
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
            this.core.fillL1(keys[i] as string, entry, mark, epoch);
          } else {
            this.core.stats.counters.l2Misses++;
            stillMissing.push(i);
          }
        }
        pending = stillMissing;
      }
    }
    if (pending.length > 0) await this.loadMany(ids, keys, pending, results, batchLoader, policy, { mark, epoch, tagSeq, tags });
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
    start: { mark: number; epoch: number; tagSeq: number; tags: readonly string[] | undefined },
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
      const running = coalesce ? this.core.joinableFlight<Resolved<T>>(key) : undefined;
      if (running) {
        this.core.stats.counters.coalesced++;
        joined.push(
          running.then((resolved) => {
            results[i] = resolved.value;
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
          ...start,
          lockKeys: this.core.lockKeys(key),
        };
        const work = async (): Promise<Resolved<T>> => {
          const loaded = (await batch)[n] as T | null | undefined;
          return { value: await this.core.store(key, loaded, policy, performance.now() - started, fence), source: "loader" };
        };
        // Registered as this key's flight, so a concurrent getOrSet of the same id joins the batch.
        return coalesce ? this.core.flights.run(key, work, { mark: start.mark, epoch: start.epoch }) : work();
      });
      batch.catch(() => this.core.stats.counters.loadErrors++);
      const values = await Promise.all(stored);
      toLoad.forEach((i, n) => {
        const value = (values[n] as Resolved<T>).value;
        results[i] = value;
        for (const copy of copies.get(keys[i] as string) ?? []) results[copy] = value;
      });
    }
    await joinedAll;
  }
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
