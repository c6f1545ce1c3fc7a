import { EventEmitter } from "node:events";

/** Where a value came from. */
export type Tier = "l1" | "l2";

/** Why a stale value was served instead of a fresh one. */
export type StaleReason = "loader-error" | "soft-timeout" | "hard-timeout" | "lock-timeout" | "throttled" | "expired";

/** Every event the cache emits, with its payload. */
export interface CacheEventMap {
  /** A fresh value was served from a tier. */
  hit: { namespace: string; key: string; tier: Tier };
  /** A fresh "absent" marker was served (the loader had returned null). */
  negativeHit: { namespace: string; key: string; tier: Tier };
  /** Neither tier had a fresh value; the loader will be called (or waited for). */
  miss: { namespace: string; key: string };
  /** The caller joined a load already running in this process. */
  coalesced: { namespace: string; key: string };
  /** A loaded value was stored; `accepted` is false when the fill was fenced off by an invalidation. */
  fill: { namespace: string; key: string; loadMs: number; negative: boolean; accepted: boolean };
  /** A stale copy was served within its grace period. */
  staleServed: { namespace: string; key: string; reason: StaleReason };
  /** A value started refreshing before it expired (probabilistic early refresh). */
  earlyRefresh: { namespace: string; key: string };
  /** Stored bytes failed to decode or failed the schema; the entry was deleted. */
  decodeError: { namespace: string; key: string; error: Error };
  /** A cache operation failed (never the caller's call: it fell through to the loader). */
  error: { namespace?: string; operation: string; error: Error };
  /** L1 was cleared because invalidations may have been missed. */
  l1Flush: { reason: "disconnect" | "reconnect" | "gap" };
  /** The Redis circuit breaker changed state. */
  circuit: { state: "closed" | "open" | "half-open" };
}

export type CacheEventName = keyof CacheEventMap;

/**
 * A typed event emitter that knows, without a call, whether anyone listens:
 * the hot path builds an event payload only when it will be delivered.
 */
export class CacheEvents {
  private readonly emitter = new EventEmitter();
  /** Event names with at least one listener. */
  readonly listened = new Set<CacheEventName>();
  /** Whether `hit` or `negativeHit` has a listener (read on every hit). */
  hitsListened = false;

  on<E extends CacheEventName>(event: E, listener: (payload: CacheEventMap[E]) => void): this {
    this.emitter.on(event, listener);
    this.listened.add(event);
    this.#noteHitListeners();
    return this;
  }

  off<E extends CacheEventName>(event: E, listener: (payload: CacheEventMap[E]) => void): this {
    this.emitter.off(event, listener);
    if (this.emitter.listenerCount(event) === 0) this.listened.delete(event);
    this.#noteHitListeners();
    return this;
  }

  #noteHitListeners(): void {
    this.hitsListened = this.listened.has("hit") || this.listened.has("negativeHit");
  }

  /** Builds and emits the payload only if someone listens. */
  emit<E extends CacheEventName>(event: E, build: () => CacheEventMap[E]): void {
    if (this.listened.has(event)) this.emitter.emit(event, build());
  }
}
