import { randomBytes } from "node:crypto";
import type { Cluster } from "ioredis";
import { LRUCache } from "lru-cache";
import { BurstLogger, consoleLogger } from "./burst-logger.js";
import type { CacheContext } from "./cache-context.js";
import { CircuitBreaker, type CircuitState } from "./circuit-breaker.js";
import { type Clock, monotonicClock, systemClock } from "./clock.js";
import { jsonCodec } from "./codec.js";
import { EntryCodec } from "./entry-codec.js";
import { CacheClosedError, InvalidOptionError } from "./errors.js";
import { CacheEvents } from "./events.js";
import { type BusHealth, InvalidationBus } from "./invalidation-bus.js";
import { assertName, KeySpace } from "./keys.js";
import { L1Store } from "./l1-store.js";
import { L2Store } from "./l2-store.js";
import type { LatencySummary } from "./latency-window.js";
import { Namespace } from "./namespace.js";
import {
  type CacheOptions,
  DEFAULT_POLICY,
  type EntryPolicy,
  type NamespaceOptions,
  validateCacheOptions,
  validateNamespaceOptions,
} from "./options.js";
import { PendingInvalidations } from "./pending-invalidations.js";
import { clusterBusConnection, connectRedis, type RedisClient, type ScriptedClient } from "./redis-connection.js";
import { SingleFlight } from "./single-flight.js";
import {
  addCounters,
  emptyCounters,
  type HitRates,
  hitRates,
  type NamespaceCounters,
  NamespaceStats,
  type TimedOperation,
} from "./stats.js";

/** A snapshot of one namespace's numbers. */
export interface NamespaceSnapshot {
  name: string;
  version: number;
  counters: NamespaceCounters;
  hitRate: HitRates;
  latency: Partial<Record<TimedOperation, LatencySummary>>;
}

/** A snapshot of the whole cache, returned by `cache.stats()`. */
export interface CacheSnapshot {
  totals: NamespaceCounters;
  hitRate: HitRates;
  namespaces: NamespaceSnapshot[];
  l1: { enabled: boolean; entries: number; bytes: number; maxEntries: number; maxBytes: number };
  l2: {
    enabled: boolean;
    status: string;
    circuit: CircuitState;
    circuitOpens: number;
    roundTrip: LatencySummary;
    /** Invalidations waiting for Redis to answer again, replayed so far, and dropped when too many were waiting. */
    pendingInvalidations: number;
    replayedInvalidations: number;
    droppedInvalidations: number;
  };
  bus: BusHealth | null;
  /** In-process loads under way (single flight). */
  inFlight: number;
}

/**
 * Creates a two-tier cache. Throws `InvalidOptionError` naming the first bad
 * option. Call `close()` when done (it closes the Redis connections it opened).
 */
export function createCache(options: CacheOptions = {}): Cache {
  return new Cache(options);
}

/** The cache: holds the tiers, the bus and the namespaces. Create it with {@link createCache}. */
export class Cache implements CacheContext {
  readonly prefix: string;
  readonly l1: L1Store | undefined;
  readonly l2: L2Store | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly flights = new SingleFlight();
  readonly clock: Clock;
  readonly random: () => number;
  readonly events = new CacheEvents();
  readonly log: BurstLogger;
  readonly leaseTtlMs: number;
  readonly pending = new PendingInvalidations(
    () => this.scheduleReplay(),
    () => this.leaseTtlMs,
  );
  private replayTimer: NodeJS.Timeout | undefined;
  /** The CLIENT SETNAME of the bus's subscriber connection, if the bus is on. */
  readonly busConnectionName: string | undefined;
  /** The Redis client (standalone or cluster) the cache uses, if L2 is on. */
  readonly redis: RedisClient | undefined;

  private readonly ownsRedis: boolean;
  private readonly subscriber: RedisClient | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly defaults: EntryPolicy;
  private readonly options: CacheOptions;
  private readonly namespaces = new Map<string, Namespace<unknown>>();
  private readonly namespaceStats = new Map<string, NamespaceStats>();
  private readonly epochs = new Map<string, { value: number }>();
  /** Marks of the last invalidation per key; when one is evicted, older loads are all treated as invalidated. */
  private readonly recentInvalidations = new LRUCache<string, number>({
    max: 50_000,
    dispose: (mark, _key, reason) => {
      if (reason === "evict") this.evictedMark = Math.max(this.evictedMark, mark);
    },
  });
  private evictedMark = 0;
  private readonly redisLatency = new NamespaceStats();
  private invalidationCounter = 0;
  private closed = false;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(options: CacheOptions) {
    validateCacheOptions(options);
    this.options = options;
    this.prefix = options.prefix ?? "hoard";
    assertName("prefix", this.prefix);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.log = new BurstLogger(options.logger ?? consoleLogger, options.errorLogIntervalMs ?? 10_000, () => this.clock.now());
    this.leaseTtlMs = options.leaseTtlMs ?? 60_000;
    this.defaults = { ...DEFAULT_POLICY, ...options.defaults };
    this.maxEntries = options.l1 === false ? 0 : (options.l1?.maxEntries ?? 10_000);
    this.maxBytes = options.l1 === false ? 0 : (options.l1?.maxBytes ?? 64 * 1024 * 1024);
    this.l1 = options.l1 === false ? undefined : new L1Store({ maxEntries: this.maxEntries, maxBytes: this.maxBytes });
    // The breaker measures real elapsed time (a cool-down must pass even when tests freeze the cache clock).
    this.breaker = new CircuitBreaker(monotonicClock, options.breakerThreshold ?? 3, options.breakerCoolDownMs ?? 1_000, (state) => {
      this.events.emit("circuit", () => ({ state }));
      if (state === "closed") this.replayPending();
    });

    const redisInput = options.redis ?? "redis://127.0.0.1:6379";
    if (redisInput === false) {
      this.ownsRedis = false;
      return;
    }
    const { client, owned, watchdog } = connectRedis(redisInput, {
      commandTimeoutMs: options.commandTimeoutMs ?? 250,
      batchReads: options.batchReads ?? true,
    });
    this.redis = client;
    this.ownsRedis = owned;
    client.on("error", (error: Error) => this.log.warn("redis connection error", error));
    // Reconnected: send the invalidations that could not be sent meanwhile.
    client.on("ready", () => this.replayPending());
    this.l2 = new L2Store(
      client as ScriptedClient,
      this.breaker,
      (error) => {
        this.log.warn("redis command failure", error);
        this.events.emit("error", () => ({ operation: "redis", error }));
      },
      (ms) => this.redisLatency.record("redis", ms),
    );
    this.l2.onLockInDoubt = (lockKey, token) => this.pending.addRelease(lockKey, token);
    if (watchdog) this.l2.startWatchdog(options.commandTimeoutMs ?? 250);
    if (owned && (options.batchReads ?? true)) this.l2.batchReads();
    if (options.bus !== false) {
      // A subscribed connection can do nothing else: the bus gets a connection of its own.
      // Its SUBSCRIBE may wait in the offline queue until the connection is up.
      // Named so operators (and tests) can find it in CLIENT LIST.
      this.busConnectionName = `${this.prefix}-bus-${randomBytes(6).toString("hex")}`;
      const subscriberOptions = { enableOfflineQueue: true, connectionName: this.busConnectionName };
      const cluster = client.isCluster ? clusterBusConnection(client as Cluster, subscriberOptions) : undefined;
      const subscriber: RedisClient =
        cluster?.subscriber ?? (client as { duplicate(options: object): RedisClient }).duplicate(subscriberOptions);
      subscriber.on("error", (error: Error) => this.log.warn("bus connection error", error));
      this.subscriber = subscriber;
      this.bus = new InvalidationBus(
        subscriber,
        this.prefix,
        {
          onKeys: (type, keys) => {
            for (const key of keys) {
              // A fill elsewhere put a newer value in L2: drop our copy, but loads here that read
              // L2 after it may still fill L1. Sets and deletes void every load begun before them.
              if (type === "inv") this.noteInvalidation(key);
              this.l1?.delete(key);
            }
          },
          onClear: (namespacePrefix) => this.bumpEpoch(namespacePrefix),
          onFlush: (reason) => {
            this.l1?.clear();
            this.invalidationCounter++;
            this.flushMark = this.invalidationCounter;
            this.events.emit("l1Flush", () => ({ reason }));
          },
        },
        this.clock,
        options.busHeartbeatMs ?? 1_000,
      );
      const bus = this.bus;
      const start = () => bus.start().catch((error) => this.log.warn("bus subscribe failure", error));
      if (cluster)
        void cluster.placed.then(() => {
          if (!this.closed) start();
        });
      else start();
    }
  }

  /** Replays invalidations that could not reach Redis (fire and forget; failures keep them pending). */
  private replayPending(): void {
    const l2 = this.l2;
    if (!l2 || this.pending.size === 0 || this.closed) return;
    const message = (type: "inv" | "clear" | "rel", key: string) => () =>
      this.bus ? this.bus.message(type, [key]) : { channel: "", message: "" };
    this.pending
      .replay(l2, message)
      .catch((error) => this.log.warn("invalidation replay failure", error))
      .finally(() => {
        if (this.pending.size > 0) this.scheduleReplay();
      });
  }

  /** Tries the pending invalidations again in a second (also done on reconnect and when the breaker closes). */
  private scheduleReplay(): void {
    if (this.replayTimer || this.closed) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      this.replayPending();
    }, 1_000);
    this.replayTimer.unref();
  }

  /** The invalidation mark at the last L1 flush: loads begun before it must not fill L1. */
  private flushMark = 0;

  /**
   * A typed view of one namespace. Calling it again with the same name
   * returns the same view (options must then be omitted or identical).
   */
  namespace<T>(name: string, options: NamespaceOptions<T> = {}): Namespace<T> {
    this.assertOpen();
    assertName("namespace", name);
    validateNamespaceOptions(name, options as NamespaceOptions<unknown>);
    const existing = this.namespaces.get(name);
    if (existing) {
      if (Object.keys(options).length > 0 && (options.version ?? 1) !== existing.version) {
        throw new InvalidOptionError(`Namespace "${name}" already exists with version ${existing.version}; use one version per cache.`);
      }
      return existing as Namespace<T>;
    }
    const { version = 1, codec, schema, l1 = true, ...policy } = options;
    const stats = new NamespaceStats();
    const view = new Namespace<T>(
      this,
      name,
      new KeySpace(this.prefix, name, version),
      new EntryCodec<T>(codec ?? this.options.codec ?? jsonCodec, schema),
      Object.freeze({ ...this.defaults, ...policy }),
      stats,
      l1,
    );
    this.namespaces.set(name, view as Namespace<unknown>);
    this.namespaceStats.set(name, stats);
    return view;
  }

  /** Counters, hit rates and latencies per namespace and in total, plus tier and bus health. */
  stats(): CacheSnapshot {
    const namespaces: NamespaceSnapshot[] = [];
    const totals = emptyCounters();
    for (const [name, stats] of this.namespaceStats) {
      const view = this.namespaces.get(name) as Namespace<unknown>;
      addCounters(totals, stats.counters);
      namespaces.push({
        name,
        version: view.version,
        counters: { ...stats.counters },
        hitRate: hitRates(stats.counters),
        latency: stats.latencies(),
      });
    }
    return {
      totals,
      hitRate: hitRates(totals),
      namespaces,
      l1: {
        enabled: this.l1 !== undefined,
        entries: this.l1?.entryCount ?? 0,
        bytes: this.l1?.byteSize ?? 0,
        maxEntries: this.maxEntries,
        maxBytes: this.maxBytes,
      },
      l2: {
        enabled: this.l2 !== undefined,
        status: this.redis?.status ?? "off",
        circuit: this.breaker.state,
        circuitOpens: this.breaker.opens,
        roundTrip: this.redisLatency.latencies().redis ?? { count: 0, p50: 0, p95: 0, p99: 0 },
        pendingInvalidations: this.pending.size,
        replayedInvalidations: this.pending.replayed,
        droppedInvalidations: this.pending.dropped,
      },
      bus: this.bus?.health() ?? null,
      inFlight: this.flights.size,
    };
  }

  /** Every namespace created so far. */
  listNamespaces(): Namespace<unknown>[] {
    return [...this.namespaces.values()];
  }

  /** Subscribes to cache events. */
  on: CacheEvents["on"] = (event, listener) => {
    this.events.on(event, listener);
    return this.events;
  };

  /** Unsubscribes from cache events. */
  off: CacheEvents["off"] = (event, listener) => {
    this.events.off(event, listener);
    return this.events;
  };

  /** Resolves once Redis and the bus are connected (or rejects after `timeoutMs`). Optional: the cache works before that, from L1 and the loader. */
  async ready(timeoutMs = 5_000): Promise<void> {
    const clients = [this.redis, this.subscriber].filter((client): client is RedisClient => client !== undefined);
    const deadline = Date.now() + timeoutMs;
    for (const client of clients) {
      while (client.status !== "ready") {
        if (Date.now() > deadline)
          throw new InvalidOptionError(
            `Redis did not become ready within ${timeoutMs} ms (status ${client.status}); check the "redis" option.`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    while (this.bus && !this.bus.isConnected) {
      if (Date.now() > deadline) throw new InvalidOptionError(`The invalidation bus did not subscribe within ${timeoutMs} ms.`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Closes the bus and the Redis connections the cache opened. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.replayTimer);
    this.l2?.stopWatchdog();
    await this.bus?.close();
    if (this.redis && this.ownsRedis) {
      await this.redis.quit().catch(() => this.redis?.disconnect());
    }
  }

  assertOpen(): void {
    if (this.closed) throw new CacheClosedError();
  }

  invalidationMark(): number {
    return this.invalidationCounter;
  }

  invalidatedSince(key: string, mark: number): boolean {
    if (this.flushMark > mark || this.evictedMark > mark) return true;
    const at = this.recentInvalidations.get(key);
    return at !== undefined && at > mark;
  }

  noteInvalidation(key: string): void {
    this.invalidationCounter++;
    this.recentInvalidations.set(key, this.invalidationCounter);
  }

  epochOf(namespacePrefix: string): number {
    return this.epochHolder(namespacePrefix).value;
  }

  epochHolder(namespacePrefix: string): { value: number } {
    let holder = this.epochs.get(namespacePrefix);
    if (!holder) {
      holder = { value: 0 };
      this.epochs.set(namespacePrefix, holder);
    }
    return holder;
  }

  bumpEpoch(namespacePrefix: string): void {
    this.epochHolder(namespacePrefix).value++;
  }
}
