import type { InvalidationBus } from "../coordination/invalidation-bus.js";
import type { InvalidationMarks } from "../coordination/invalidation-marks.js";
import type { PendingInvalidations } from "../coordination/pending-invalidations.js";
import type { SingleFlight } from "../coordination/single-flight.js";
import type { TagRegistry } from "../coordination/tag-registry.js";
import type { BurstLogger } from "../observability/burst-logger.js";
import type { CacheEvents } from "../observability/events.js";
import type { L1Store } from "../tiers/l1-store.js";
import type { L2Store } from "../tiers/l2-store.js";
import type { Clock } from "../time/clock.js";

/**
 * What the namespaces of one cache share: tiers, bus, clock and bookkeeping.
 * Built once by the cache and never exposed: each part copies the fields it
 * uses into its own, so no code reads through a chain of objects.
 */
export interface CacheContext {
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
  readonly marks: InvalidationMarks;
  /** What this process knows of tag invalidations and expiries. */
  readonly tags: TagRegistry;
  /** Whether the cache is closed (read on every L1 hit). */
  readonly lifecycle: { readonly closed: boolean };
  /** Throws if the cache is closed. */
  assertOpen(): void;
}
