import { newToken } from "../coordination/token.js";
import type { CacheId } from "../encoding/keys.js";
import { checkTags } from "../encoding/tags.js";
import type { CallOptions, EntryPolicy, GetOrSetOptions } from "../options.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";
import type { Loader, Stored } from "./namespace-types.js";
import { mergePolicy } from "./policy.js";
import type { ReadPath } from "./read-path.js";

/** The single-flight key of a key's background refresh. */
export function refreshFlightKey(key: string): string {
  return `refresh:${key}`;
}

/** Probabilistic early refresh (XFetch) of hot keys, one background refresh per key at a time. */
export class EarlyRefresh<T> {
  /** Background refreshes under way (so the miss path looks them up only when there are some). */
  running = 0;
  /** Keys refreshed because they were expired on demand: readers keep getting the stale copy, they do not wait. */
  readonly servingStale = new Set<string>();

  /** `core` is the read path this refresh belongs to: it stores what the refresh loads. */
  constructor(private readonly core: ReadPath<T>) {}

  /**
   * XFetch (Vattani et al.): refresh before expiry with probability
   * exp(-(time left) / (beta * last load time)), so a hot key reloads once,
   * in the background, before it would hard-miss. `tags` are the call's checked tags; when absent,
   * those of `options` are read (and checked) only if a refresh starts: an L1 hit never looks at them.
   */
  maybeRefreshEarly(
    key: string,
    id: CacheId,
    entry: { freshUntil: number; loadMs: number },
    now: number,
    loader: Loader<T>,
    options?: CallOptions | GetOrSetOptions,
    tags?: readonly string[],
  ): void {
    const beta = options?.earlyRefreshBeta ?? this.core.policy.earlyRefreshBeta;
    if (beta <= 0) return;
    const delta = Math.max(1, entry.loadMs) * beta;
    const left = entry.freshUntil - now;
    // exp(-30) is negligible: skip the random draw while far from expiry.
    if (left > delta * 30) return;
    if (now - delta * Math.log(this.core.random() || Number.MIN_VALUE) < entry.freshUntil) return;
    if (this.core.flights.current(refreshFlightKey(key))) return;
    this.core.stats.counters.earlyRefreshes++;
    this.core.events.emit("earlyRefresh", () => ({ namespace: this.core.name, key }));
    const callTags = (options as GetOrSetOptions | undefined)?.tags;
    const refreshTags = tags ?? (callTags === undefined ? undefined : checkTags(callTags, "getOrSet()"));
    this.revalidate(key, id, loader, mergePolicy(this.core.policy, options), refreshTags);
  }

  /**
   * Starts one background refresh of `key` unless one runs here already (the
   * lock makes it one in the cluster). Used by early refresh and for entries
   * expired on demand, whose stale value is served meanwhile.
   */
  revalidate(key: string, id: CacheId, loader: Loader<T>, policy: EntryPolicy, tags?: readonly string[], stale?: T | null): void {
    // Refreshes run under their own flight key, apart from the caller's own load flight (an L2 hit is
    // served inside one): one refresh per key at a time, and nobody waits on it while the entry is fresh.
    const flightKey = refreshFlightKey(key);
    if (this.core.flights.current(flightKey)) return;
    this.running++;
    const expired = stale !== undefined;
    if (expired) this.servingStale.add(key);
    this.core.flights
      .run(flightKey, () =>
        this.refresh(key, id, loader, policy, tags, stale).finally(() => {
          this.running--;
          if (expired) this.servingStale.delete(key);
        }),
      )
      .catch((error) => this.core.log.warn("background refresh failed", error, { namespace: this.core.name, key }));
  }

  /** One background refresh (what it stored, or null): skipped if another process holds the lock (it is refreshing already). */
  async refresh(
    key: string,
    id: CacheId,
    loader: Loader<T>,
    policy: EntryPolicy,
    tags?: readonly string[],
    stale?: T | null,
  ): Promise<Stored<T> | null> {
    const mark = this.core.marks.current();
    const epoch = this.core.epoch.value;
    const lockKeys = this.core.lockKeys(key);
    const token = newToken();
    const tagSeq = this.core.tags.startSeq();
    let leased = false;
    let locked = false;
    if (this.core.l2) {
      const acquire = (nowMs: number) =>
        this.core.l2?.acquire(lockKeys, token, {
          leaseTtlMs: this.core.leaseTtlMs,
          lockTtlMs: policy.lockTtlMs,
          wantLock: policy.protection === "distributed",
          nowMs,
        }) ?? UNAVAILABLE;
      // An early refresh asks as of the far future: an entry that is still fresh must not stop its own refresh.
      // A refresh of an expired entry asks as of now: if another process has refreshed it already, that value is kept.
      let reply = await acquire(stale === undefined ? Number.MAX_SAFE_INTEGER : this.core.clock.now());
      if (reply !== UNAVAILABLE && reply.existing) {
        const existing = await this.core.decodeOrDrop(key, reply.existing);
        if (existing && !existing.expired && (await this.core.verdictOf(existing)) === "fresh") return null;
        // Its header is fresh but a tag expired it: refresh it anyway.
        reply = await acquire(Number.MAX_SAFE_INTEGER);
      }
      if (reply !== UNAVAILABLE) {
        if (!reply.acquired) return null;
        leased = true;
        locked = policy.protection === "distributed";
      }
    }
    return this.core.loadAndStore(key, id, loader, policy, { token, leased, locked, mark, epoch, lockKeys, tagSeq, tags }, stale);
  }
}
