import type { InvalidationBus } from "../coordination/invalidation-bus.js";
import type { InvalidationMarks } from "../coordination/invalidation-marks.js";
import type { LockKeys } from "../coordination/lock-wait.js";
import type { PendingInvalidations } from "../coordination/pending-invalidations.js";
import type { FlightStamp, SingleFlight } from "../coordination/single-flight.js";
import type { TagRegistry, TagVerdict } from "../coordination/tag-registry.js";
import type { DecodedEntry, EntryCodec } from "../encoding/entry-codec.js";
import type { KeySpace } from "../encoding/keys.js";
import { leaseKeyOf, lockKeyOf } from "../encoding/keys.js";
import type { BurstLogger } from "../observability/burst-logger.js";
import type { CacheEvents } from "../observability/events.js";
import type { NamespaceStats } from "../observability/stats.js";
import type { EntryPolicy } from "../options.js";
import type { L1Entry, L1Store } from "../tiers/l1-store.js";
import type { L2Store } from "../tiers/l2-store.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";
import type { Clock } from "../time/clock.js";
import { capExpiry } from "../time/ttl.js";
import type { CacheContext } from "./cache-context.js";
import { FailSafeThrottle } from "./fail-safe-throttle.js";
import type { FlightResult, StaleCandidate } from "./namespace-types.js";

/** Longest an entry put in L1 while the bus is disconnected may live there. */
export const L1_TTL_WHILE_BUS_DOWN_MS = 5_000;

/**
 * The state and small helpers every part of a namespace shares: its keys,
 * codec, policy and counters, and how it reads L2, fills L1 and counts.
 * `Namespace` is the public face; the load path, batch loads and early
 * refresh each work on this core.
 */
export class NamespaceCore<T> {
  readonly useL1: boolean;
  /** The namespace's clear epoch, shared with the cache (bumped by clear() here or on the bus). */
  readonly epoch: { readonly value: number };
  /** Keys whose loader failed recently: their stale copy is served without calling it again. */
  readonly throttle = new FailSafeThrottle();
  /** The clock reading of the last `freshFromL1` call. */
  checkedAt = 0;
  readonly l1: L1Store | undefined;
  readonly l2: L2Store | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly flights: SingleFlight;
  readonly clock: Clock;
  readonly random: () => number;
  readonly events: CacheEvents;
  readonly log: BurstLogger;
  readonly leaseTtlMs: number;
  readonly pending: PendingInvalidations;
  readonly marks: InvalidationMarks;
  readonly tags: TagRegistry;
  readonly assertOpen: () => void;
  readonly lifecycle: { readonly closed: boolean };

  constructor(
    context: CacheContext,
    readonly name: string,
    readonly keys: KeySpace,
    readonly codec: EntryCodec<T>,
    readonly policy: Readonly<EntryPolicy>,
    readonly stats: NamespaceStats,
    useL1: boolean,
  ) {
    ({
      l1: this.l1,
      l2: this.l2,
      bus: this.bus,
      flights: this.flights,
      clock: this.clock,
      random: this.random,
      events: this.events,
      log: this.log,
      leaseTtlMs: this.leaseTtlMs,
      pending: this.pending,
      marks: this.marks,
      tags: this.tags,
      assertOpen: this.assertOpen,
      lifecycle: this.lifecycle,
    } = context);
    this.useL1 = useL1 && context.l1 !== undefined;
    this.epoch = context.marks.epoch(keys.namespacePrefix);
  }

  /**
   * A fresh L1 entry (counted as a hit), or undefined (counted as an L1 miss).
   * Leaves the clock reading in `checkedAt` so the caller need not read it again.
   */
  freshFromL1(key: string): L1Entry | undefined {
    const now = this.clock.now();
    this.checkedAt = now;
    const entry = this.l1?.get(key, now);
    if (entry !== undefined && entry.epoch === this.epoch.value && now < entry.freshUntil) {
      this.countHit(key, "l1", entry.negative);
      return entry;
    }
    this.stats.counters.l1Misses++;
    return undefined;
  }

  /**
   * Joins the flight running for `key` if a caller arriving now may take its result; undefined when
   * there is none or it is not joinable. A flight that began before the key's latest invalidation here
   * (or a clear of the namespace, or an invalidation of one of its tags) is not: it may return the
   * value that invalidation replaced, and a caller that arrives after a write must read that write
   * (read-your-writes); such a caller starts a flight of its own. Tags the flight learns only as it
   * runs (an L2 entry's, `ctx.setTags`) are checked when it lands: the joined promise then resolves
   * to undefined, and the caller loads again.
   */
  joinFlight(key: string): Promise<FlightResult<T> | undefined> | undefined {
    const running = this.flights.current<FlightResult<T>>(key);
    if (!running) return undefined;
    const stamp = this.flights.stampOf(key);
    if (!stamp) return running;
    if (this.marks.keyInvalidatedSince(key, stamp.mark) || stamp.epoch !== this.epoch.value) return undefined;
    const tags = this.tags;
    // No tag invalidated here since the flight began: whatever it returns may be shared.
    if (tags.invalidations === stamp.tagInvalidations) return running;
    if (stamp.tags && tags.invalidatedSince(stamp.tags, stamp.tagSeq, stamp.tagInvalidations)) return undefined;
    return running.then((result) =>
      result.tags && tags.invalidatedSince(result.tags, stamp.tagSeq, stamp.tagInvalidations) ? undefined : result,
    );
  }

  /** The stamp of a flight beginning now for a call with `tags` (see {@link joinFlight}). */
  flightStamp(tags: readonly string[] | undefined): FlightStamp {
    return {
      mark: this.marks.current(),
      epoch: this.epoch.value,
      tagSeq: this.tags.startSeq(),
      tagInvalidations: this.tags.invalidations,
      tags,
    };
  }

  lockKeys(key: string): LockKeys {
    const generation = this.l2 ? this.l2.generations.keyOf(this.keys.namespacePrefix, key) : "";
    return { value: key, lease: leaseKeyOf(key), lock: lockKeyOf(key), generation };
  }
  busMessage(type: "inv" | "fill" | "rel" | "clear", key: string): { channel: string; message: string } {
    return this.bus ? this.bus.message(type, [key]) : { channel: "", message: "" };
  }
  /** Reads and decodes one key from L2; undefined when absent, unreachable or undecodable. */
  async readL2(key: string): Promise<DecodedEntry<T> | undefined> {
    if (this.pending.covers(key)) return undefined; // its delete is still to be replayed: L2 may be the old value
    const raw = await this.l2?.get(key);
    if (raw === undefined || raw === UNAVAILABLE || raw === null) return undefined;
    const entry = this.decodeOrDrop(key, raw);
    return entry instanceof Promise ? await entry : entry;
  }
  /**
   * Decodes stored bytes (synchronously unless the schema is async); bytes that
   * fail to decode or validate are deleted, counted and treated as a miss.
   */
  decodeOrDrop(key: string, raw: Buffer | null): DecodedEntry<T> | undefined | Promise<DecodedEntry<T> | undefined> {
    if (raw === null) return undefined;
    try {
      const entry = this.codec.decode(raw);
      return entry instanceof Promise ? entry.catch((error: unknown) => this.dropUndecodable(key, error)) : entry;
    } catch (error) {
      return this.dropUndecodable(key, error);
    }
  }
  async dropUndecodable(key: string, error: unknown): Promise<undefined> {
    this.stats.counters.decodeErrors++;
    this.log.warn("decode failure", error, { namespace: this.name, key });
    this.events.emit("decodeError", () => ({ namespace: this.name, key, error: error as Error }));
    await this.l2?.delete(key);
    return undefined;
  }
  staleFromL1(key: string): StaleCandidate<T> | undefined {
    if (!this.useL1) return undefined;
    // Uncounted: `freshFromL1` already counted this read's lookup for admission.
    const entry = this.l1?.getUncounted(key, this.clock.now());
    if (!entry || entry.epoch !== this.epoch.value) return undefined;
    return { value: entry.value as T | null, staleUntil: entry.staleUntil, tags: entry.tags };
  }
  /**
   * What a tagged entry is worth now (an untagged one is always "fresh"):
   * synchronous when its tags are known here, else one round trip to read them.
   */
  verdictOf(entry: { tags: readonly string[] | undefined; tagSeq: number }): TagVerdict | Promise<TagVerdict> {
    if (entry.tags === undefined) return "fresh";
    return this.tags.verdictKnown(entry.tags, entry.tagSeq) ?? this.tags.verdict(entry.tags, entry.tagSeq);
  }
  /** Removes an L2 entry found dead (compare-and-delete: a newer fill stays). */
  async discard(key: string, raw: Buffer): Promise<void> {
    await this.l2?.discard(key, raw);
  }
  /**
   * Puts an entry in L1 unless the key was invalidated (or the namespace cleared) since `mark`/`epoch` were read,
   * or, for a tagged entry, unless one of its tags is not known here to leave it fresh.
   */
  fillL1(key: string, entry: DecodedEntry<T>, mark: number, epoch: number): void {
    if (!this.useL1 || this.marks.invalidatedSince(key, mark) || epoch !== this.epoch.value) return;
    if (entry.expired || (entry.tags !== undefined && this.tags.verdictKnown(entry.tags, entry.tagSeq) !== "fresh")) return;
    // Invalidations from other processes cannot be heard while the bus is down: keep such entries briefly.
    const { freshUntil, staleUntil } =
      this.bus && !this.bus.isConnected ? capExpiry(entry, this.clock.now() + L1_TTL_WHILE_BUS_DOWN_MS) : entry;
    this.l1?.set(key, {
      value: entry.value,
      negative: entry.negative,
      freshUntil,
      staleUntil,
      loadMs: entry.loadMs,
      size: entry.size,
      epoch,
      tags: entry.tags,
      keyHash: 0,
    });
  }
  /** Serves a stale copy (counted), with its tags for the callers sharing the flight. */
  serveStale(
    key: string,
    stale: StaleCandidate<T>,
    reason: "loader-error" | "soft-timeout" | "hard-timeout" | "lock-timeout" | "throttled" | "expired",
  ): FlightResult<T> {
    this.stats.counters.staleServed++;
    this.events.emit("staleServed", () => ({ namespace: this.name, key, reason }));
    return { value: stale.value, source: "stale", tags: stale.tags };
  }
  countHit(key: string, tier: "l1" | "l2", negative: boolean): void {
    const counters = this.stats.counters;
    if (tier === "l1") counters.l1Hits++;
    else counters.l2Hits++;
    if (negative) counters.negativeHits++;
    // One field read when nobody listens: no payload closure, no lookup, on the hot path.
    if (this.events.hitsListened) this.#emitHit(key, tier, negative);
  }
  #emitHit(key: string, tier: "l1" | "l2", negative: boolean): void {
    this.events.emit(negative ? "negativeHit" : "hit", () => ({ namespace: this.name, key, tier }));
  }
  countError(operation: string, error: unknown): void {
    this.stats.counters.errors++;
    this.log.warn(`${operation} failure`, error, { namespace: this.name });
    this.events.emit("error", () => ({ namespace: this.name, operation, error: error as Error }));
  }
}
