import type { InvalidationBus } from "../coordination/invalidation-bus.js";
import type { PendingInvalidations } from "../coordination/pending-invalidations.js";
import type { SingleFlight } from "../coordination/single-flight.js";
import type { BurstLogger } from "../observability/burst-logger.js";
import type { CacheEvents } from "../observability/events.js";
import type { L1Store } from "../tiers/l1-store.js";
import type { L2Store } from "../tiers/l2-store.js";
import type { Clock } from "../time/clock.js";

/** What namespaces share inside one cache: tiers, bus, clock and bookkeeping. */
export interface CacheContext {
  readonly prefix: string;
  readonly l1: L1Store | undefined;
  readonly l2: L2Store | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly flights: SingleFlight;
  readonly clock: Clock;
  readonly random: () => number;
  readonly events: CacheEvents;
  readonly log: BurstLogger;
  readonly leaseTtlMs: number;
  /** Invalidations that could not reach Redis, replayed when it answers again. */
  readonly pending: PendingInvalidations;
  /** A number that grows with every invalidation heard; read it before a load begins. */
  invalidationMark(): number;
  /** Whether `key` was invalidated after `mark` was read (so a load begun then must not fill L1). */
  invalidatedSince(key: string, mark: number): boolean;
  /** Records an invalidation of `key` made or heard by this process. */
  noteInvalidation(key: string): void;
  /** The clear epoch of a namespace; L1 entries from an older epoch are misses. */
  epochOf(namespacePrefix: string): number;
  /** The live epoch cell of a namespace (read on every L1 hit without a map lookup). */
  epochHolder(namespacePrefix: string): { readonly value: number };
  /** Starts a new clear epoch for a namespace. */
  bumpEpoch(namespacePrefix: string): void;
  /** Throws if the cache is closed. */
  assertOpen(): void;
}
