import { randomBytes } from "node:crypto";
import type { Cluster } from "ioredis";
import { type BusHealth, InvalidationBus } from "./coordination/invalidation-bus.js";
import { InvalidationMarks } from "./coordination/invalidation-marks.js";
import { PendingInvalidations } from "./coordination/pending-invalidations.js";
import { SingleFlight } from "./coordination/single-flight.js";
import { TagRegistry } from "./coordination/tag-registry.js";
import { jsonCodec } from "./encoding/codec.js";
import { EntryCodec } from "./encoding/entry-codec.js";
import { assertName, KeySpace } from "./encoding/keys.js";
import { checkTags, TagKeys } from "./encoding/tags.js";
import { CacheClosedError, ConnectionError, InvalidOptionError } from "./errors.js";
import { Namespace } from "./namespace.js";
import { BurstLogger, consoleLogger } from "./observability/burst-logger.js";
import { type CacheEventMap, type CacheEventName, CacheEvents } from "./observability/events.js";
import type { LatencySummary } from "./observability/latency-window.js";
import {
  addCounters,
  emptyCounters,
  type HitRates,
  hitRates,
  type NamespaceCounters,
  NamespaceStats,
  type TimedOperation,
} from "./observability/stats.js";
import {
  type CacheOptions,
  DEFAULT_POLICY,
  type EntryPolicy,
  type NamespaceOptions,
  validateCacheOptions,
  validateNamespaceOptions,
} from "./options.js";
import type { CacheContext } from "./read/cache-context.js";
import { CircuitBreaker, type CircuitState } from "./tiers/circuit-breaker.js";
import { L1Store } from "./tiers/l1-store.js";
import { L2Store, UNAVAILABLE } from "./tiers/l2-store.js";
import { clusterBusConnection, connectRedis, type RedisClient, type ScriptedClient } from "./tiers/redis-connection.js";
import { type Clock, monotonicClock, systemClock } from "./time/clock.js";

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

/** What tests and tools inside this package may reach; never part of the public API. @internal */
export interface CacheInternals {
  readonly redis: RedisClient | undefined;
  readonly l2: L2Store | undefined;
  /** The CLIENT SETNAME of the bus's subscriber connection, if the bus is on. */
  readonly busConnectionName: string | undefined;
  /** Invalidations waiting for Redis. */
  readonly pending: PendingInvalidations;
  /** Latency samples of a namespace's operations recorded since `seen` (the Prometheus histogram's feed). */
  latencySamplesSince(namespace: string, seen: Map<string, number>): Partial<Record<TimedOperation, number[]>>;
}

const internals = new WeakMap<Cache, CacheInternals>();

/**
 * The internals of a cache, for this package's tests and tools (import this module by path).
 * @internal
 */
export function cacheInternals(cache: Cache): CacheInternals {
  return internals.get(cache) as CacheInternals;
}

/** The cache: holds the tiers, the bus and the namespaces. Create it with {@link createCache}. */
export class Cache {
  /** First segment of every key and of the bus channel. */
  readonly prefix: string;
  readonly #context: CacheContext;
  readonly #l1: L1Store | undefined;
  readonly #l2: L2Store | undefined;
  readonly #bus: InvalidationBus | undefined;
  readonly #flights = new SingleFlight();
  readonly #events = new CacheEvents();
  readonly #log: BurstLogger;
  readonly #marks = new InvalidationMarks();
  readonly #tagKeys: TagKeys;
  readonly #tags: TagRegistry;
  readonly #pending = new PendingInvalidations(
    () => this.#scheduleReplay(),
    () => this.#options.leaseTtlMs ?? 60_000,
  );
  #replayTimer: NodeJS.Timeout | undefined;
  readonly #redis: RedisClient | undefined;
  readonly #ownsRedis: boolean;
  readonly #subscriber: RedisClient | undefined;
  readonly #breaker: CircuitBreaker;
  readonly #defaults: EntryPolicy;
  readonly #options: CacheOptions;
  readonly #namespaces = new Map<string, { view: Namespace<unknown>; options: NamespaceOptions<unknown>; stats: NamespaceStats }>();
  readonly #redisLatency = new NamespaceStats();
  /** Shared with every namespace, so a call checks it with one field read (no call). */
  readonly #lifecycle = { closed: false };
  readonly #maxEntries: number;
  readonly #maxBytes: number;

  /** Prefer {@link createCache}. Throws `InvalidOptionError` naming the first bad option. */
  constructor(options: CacheOptions = {}) {
    validateCacheOptions(options);
    this.#options = options;
    this.prefix = options.prefix ?? "hoard";
    assertName("prefix", this.prefix);
    const clock = options.clock ?? systemClock;
    this.#log = new BurstLogger(options.logger ?? consoleLogger, options.errorLogIntervalMs ?? 10_000, () => clock.now());
    this.#defaults = { ...DEFAULT_POLICY, ...options.defaults };
    this.#maxEntries = options.l1 === false ? 0 : (options.l1?.maxEntries ?? 10_000);
    this.#maxBytes = options.l1 === false ? 0 : (options.l1?.maxBytes ?? 64 * 1024 * 1024);
    this.#l1 =
      options.l1 === false
        ? undefined
        : new L1Store({ maxEntries: this.#maxEntries, maxBytes: this.#maxBytes, admission: options.l1?.admission });
    // The breaker measures real elapsed time (a cool-down must pass even when tests freeze the cache clock).
    this.#breaker = new CircuitBreaker(monotonicClock, options.breakerThreshold ?? 3, options.breakerCoolDownMs ?? 1_000, (state) => {
      this.#events.emit("circuit", () => ({ state }));
      if (state === "closed") this.#replayPending();
    });
    this.#tagKeys = new TagKeys(this.prefix);
    const connected = this.#connect(options, clock);
    this.#redis = connected.redis;
    this.#ownsRedis = connected.owned;
    this.#l2 = connected.l2;
    this.#subscriber = connected.subscriber;
    this.#bus = connected.bus;
    const l2 = this.#l2;
    const bus = this.#bus;
    this.#tags = new TagRegistry(
      l2
        ? async (tags) => {
            const read = await l2.readTags(
              this.#tagKeys.sequence,
              tags.map((tag) => this.#tagKeys.of(tag)),
            );
            return read === UNAVAILABLE ? undefined : read;
          }
        : undefined,
      () => bus?.isConnected === true,
    );
    this.#pending.replayTags = (kind, tags) => this.#bumpTags(kind, tags, true);
    this.#context = {
      l1: this.#l1,
      l2: this.#l2,
      bus: this.#bus,
      flights: this.#flights,
      clock,
      random: options.random ?? Math.random,
      events: this.#events,
      log: this.#log,
      leaseTtlMs: options.leaseTtlMs ?? 60_000,
      pending: this.#pending,
      marks: this.#marks,
      tags: this.#tags,
      lifecycle: this.#lifecycle,
      assertOpen: () => {
        if (this.#lifecycle.closed) throw new CacheClosedError();
      },
    };
    internals.set(this, {
      redis: this.#redis,
      l2: this.#l2,
      busConnectionName: connected.busConnectionName,
      pending: this.#pending,
      latencySamplesSince: (namespace, seen) => this.#namespaces.get(namespace)?.stats.samplesSince(namespace, seen) ?? {},
    });
    connected.startBus?.();
  }

  /** Connects L2 and the bus as the options say (nothing when `redis: false`). */
  #connect(
    options: CacheOptions,
    clock: Clock,
  ): {
    redis?: RedisClient;
    owned: boolean;
    l2?: L2Store;
    subscriber?: RedisClient;
    bus?: InvalidationBus;
    busConnectionName?: string;
    startBus?: () => void;
  } {
    const redisInput = options.redis ?? "redis://127.0.0.1:6379";
    if (redisInput === false) return { owned: false };
    const { client, owned, watchdog } = connectRedis(redisInput, {
      commandTimeoutMs: options.commandTimeoutMs ?? 250,
      batchReads: options.batchReads ?? true,
    });
    client.on("error", (error: Error) => this.#log.warn("redis connection error", error));
    // Reconnected: send the invalidations that could not be sent meanwhile.
    client.on("ready", () => {
      this.#replayPending();
      this.#tags?.readSequence();
    });
    const l2 = new L2Store(
      client as ScriptedClient,
      this.#breaker,
      (error) => {
        this.#log.warn("redis command failure", error);
        this.#events.emit("error", () => ({ operation: "redis", error }));
      },
      (ms) => this.#redisLatency.record("redis", ms),
    );
    l2.onLockInDoubt = (lockKey, token) => this.#pending.addRelease(lockKey, token);
    l2.replicaAcks = { count: options.replicaAcks ?? 0, timeoutMs: options.replicaAckTimeoutMs ?? 100 };
    if (watchdog) l2.startWatchdog(options.commandTimeoutMs ?? 250);
    if (owned && (options.batchReads ?? true)) l2.batchReads();
    if (options.bus === false) return { redis: client, owned, l2 };
    // A subscribed connection can do nothing else: the bus gets a connection of its own.
    // Its SUBSCRIBE may wait in the offline queue until the connection is up.
    // Named so operators (and tests) can find it in CLIENT LIST.
    const busConnectionName = `${this.prefix}-bus-${randomBytes(6).toString("hex")}`;
    // No resubscription by ioredis: it drops the promise of the SUBSCRIBE it sends at a reconnect, so a
    // close before the reply (with a queue flush) is an unhandled rejection that ends the process. The
    // bus subscribes by itself on every "ready" and handles the failure (InvalidationBus).
    const subscriberOptions = { enableOfflineQueue: true, connectionName: busConnectionName, autoResubscribe: false };
    const cluster = client.isCluster ? clusterBusConnection(client as Cluster, subscriberOptions) : undefined;
    const subscriber: RedisClient =
      cluster?.subscriber ?? (client as { duplicate(options: object): RedisClient }).duplicate(subscriberOptions);
    subscriber.on("error", (error: Error) => this.#log.warn("bus connection error", error));
    const bus = new InvalidationBus(
      subscriber,
      this.prefix,
      {
        onKeys: (type, keys) => {
          for (const key of keys) {
            // A fill elsewhere put a newer value in L2: drop our copy, but loads here that read
            // L2 after it may still fill L1. Sets and deletes void every load begun before them.
            if (type === "inv") this.#marks.note(key);
            this.#l1?.delete(key);
          }
        },
        onClear: (namespacePrefix) => this.#marks.bumpEpoch(namespacePrefix),
        onTags: (kind, tags, seq) => {
          this.#tags.heard(kind, tags, seq);
          this.#l1?.deleteTagged(tags);
        },
        onFlush: (reason) => {
          this.#l1?.clear();
          this.#marks.noteFlush();
          this.#tags.forget();
          this.#events.emit("l1Flush", () => ({ reason }));
        },
      },
      clock,
      options.busHeartbeatMs ?? 1_000,
    );
    const start = () => bus.start().catch((error) => this.#log.warn("bus subscribe failure", error));
    const startBus = () => {
      if (cluster)
        void cluster.placed.then(() => {
          if (!this.#lifecycle.closed) start();
        });
      else start();
    };
    return { redis: client, owned, l2, subscriber, bus, busConnectionName, startBus };
  }

  /** Replays invalidations that could not reach Redis (fire and forget; failures keep them pending). */
  #replayPending(): void {
    const l2 = this.#l2;
    if (!l2 || this.#pending.size === 0 || this.#lifecycle.closed) return;
    const message = (type: "inv" | "clear" | "rel", key: string) => () =>
      this.#bus ? this.#bus.message(type, [key]) : { channel: "", message: "" };
    this.#pending
      .replay(l2, message)
      .catch((error) => this.#log.warn("invalidation replay failure", error))
      .finally(() => {
        if (this.#pending.size > 0) this.#scheduleReplay();
      });
  }

  /** Tries the pending invalidations again in a second (also done on reconnect and when the breaker closes). */
  #scheduleReplay(): void {
    if (this.#replayTimer || this.#lifecycle.closed) return;
    this.#replayTimer = setTimeout(() => {
      this.#replayTimer = undefined;
      this.#replayPending();
    }, 1_000);
    this.#replayTimer.unref();
  }

  /**
   * A typed view of one namespace. Calling it again with the same name
   * returns the same view; options must then be omitted or equal to the
   * first call's, `version` to the current one (`InvalidOptionError` names
   * the first that differs).
   */
  namespace<T>(name: string, options: NamespaceOptions<T> = {}): Namespace<T> {
    this.#context.assertOpen();
    assertName("namespace", name);
    validateNamespaceOptions(name, options as NamespaceOptions<unknown>);
    const existing = this.#namespaces.get(name);
    if (existing) {
      // version: compared with the one the namespace runs at now (setVersion may have moved it).
      if (Object.keys(options).length > 0)
        assertSameOptions(name, { ...existing.options, version: existing.view.version }, options as NamespaceOptions<unknown>, {
          version: 1,
          l1: true,
          l1Values: "frozen",
          writePolicy: "invalidate",
          versionFenceTtlMs: 60_000,
          codec: this.#options.codec ?? jsonCodec,
          ...this.#defaults,
        });
      return existing.view as Namespace<T>;
    }
    const {
      version = 1,
      codec,
      schema,
      l1 = true,
      l1Values = "frozen",
      writePolicy = "invalidate",
      versionFenceTtlMs = 60_000,
      ...policy
    } = options;
    const stats = new NamespaceStats();
    const view = new Namespace<T>(
      this.#context,
      name,
      new KeySpace(this.prefix, name, version),
      new EntryCodec<T>(codec ?? this.#options.codec ?? jsonCodec, schema, l1Values === "frozen"),
      Object.freeze({ ...this.#defaults, ...policy }),
      stats,
      l1,
      l1Values === "cloned",
      { policy: writePolicy, versionFenceTtlMs },
    );
    this.#namespaces.set(name, { view: view as Namespace<unknown>, options: options as NamespaceOptions<unknown>, stats });
    return view;
  }

  /**
   * Invalidates every entry carrying one of `tags`, in every namespace, for
   * every process: L1 copies are dropped at once here and, through the bus,
   * everywhere else; L2 entries are checked lazily (a read finds them dead and
   * removes them). A load under way for such an entry, begun before this call,
   * never fills: its entry records the tag sequence it began at, which is lower
   * than the one taken here. Resolves false when Redis could not be reached:
   * the tags are then dead in this process until the invalidation is replayed
   * (as soon as Redis answers).
   */
  async invalidateTags(tags: readonly string[]): Promise<boolean> {
    this.#context.assertOpen();
    return this.#bumpTags("inv", checkTags(tags, "invalidateTags()"));
  }

  /**
   * Expires every entry carrying one of `tags`, in every namespace, for every
   * process: they stay for their grace period, the next read of each returns
   * the stale value at once and refreshes it in the background (one load in
   * the cluster). Resolves false when Redis could not be reached (replayed
   * when it answers).
   */
  async expireTags(tags: readonly string[]): Promise<boolean> {
    this.#context.assertOpen();
    return this.#bumpTags("exp", checkTags(tags, "expireTags()"));
  }

  /** Takes a tag sequence number for `tags` (Redis, else locally), tells every process, and drops L1 copies here. */
  async #bumpTags(kind: "inv" | "exp", tags: string[], replaying = false): Promise<boolean> {
    if (tags.length === 0) return true;
    this.#l1?.deleteTagged(tags);
    const l2 = this.#l2;
    if (!l2) {
      this.#tags.heard(kind, tags, this.#tags.nextLocalSeq());
      return true;
    }
    const type = kind === "inv" ? "tinv" : "texp";
    const bus = this.#bus;
    const seq = await l2.bumpTags(
      this.#tagKeys.sequence,
      tags.map((tag) => this.#tagKeys.of(tag)),
      kind,
      (n) => () => (bus ? bus.message(type, tags, n) : { channel: "", message: "" }),
    );
    if (seq === UNAVAILABLE) {
      if (kind === "inv") this.#tags.poison(tags);
      if (!replaying) this.#pending.addTags(kind, tags);
      this.#l1?.deleteTagged(tags);
      return false;
    }
    this.#tags.heard(kind, tags, seq);
    if (kind === "inv") this.#tags.cure(tags);
    // Again: a load that finished while the call was in flight may have put a copy in L1.
    this.#l1?.deleteTagged(tags);
    return true;
  }

  /**
   * The invalidation bus's health alone (null without a bus): a field read, where {@link stats}
   * sorts every latency window. For checks on a hot path, such as one per database change event.
   */
  busHealth(): BusHealth | null {
    return this.#bus?.health() ?? null;
  }

  /** Counters, hit rates and latencies per namespace and in total, plus tier and bus health. */
  stats(): CacheSnapshot {
    const namespaces: NamespaceSnapshot[] = [];
    const totals = emptyCounters();
    for (const [name, { view, stats }] of this.#namespaces) {
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
        enabled: this.#l1 !== undefined,
        entries: this.#l1?.entryCount ?? 0,
        bytes: this.#l1?.byteSize ?? 0,
        maxEntries: this.#maxEntries,
        maxBytes: this.#maxBytes,
      },
      l2: {
        enabled: this.#l2 !== undefined,
        status: this.#redis?.status ?? "off",
        circuit: this.#breaker.state,
        circuitOpens: this.#breaker.opens,
        roundTrip: this.#redisLatency.latencies().redis ?? { count: 0, p50: 0, p95: 0, p99: 0 },
        pendingInvalidations: this.#pending.size,
        replayedInvalidations: this.#pending.replayed,
        droppedInvalidations: this.#pending.dropped,
      },
      bus: this.busHealth(),
      inFlight: this.#flights.size,
    };
  }

  /** Subscribes to cache events. */
  on<E extends CacheEventName>(event: E, listener: (payload: CacheEventMap[E]) => void): this {
    this.#events.on(event, listener);
    return this;
  }

  /** Unsubscribes from cache events. */
  off<E extends CacheEventName>(event: E, listener: (payload: CacheEventMap[E]) => void): this {
    this.#events.off(event, listener);
    return this;
  }

  /**
   * Resolves once Redis and the bus are connected; rejects with `ConnectionError` after `timeoutMs`.
   * Optional: the cache works before that, from L1 and the loader.
   */
  async ready(timeoutMs = 5_000): Promise<void> {
    const clients = [this.#redis, this.#subscriber].filter((client): client is RedisClient => client !== undefined);
    const deadline = Date.now() + timeoutMs;
    for (const client of clients) {
      while (client.status !== "ready") {
        if (Date.now() > deadline)
          throw new ConnectionError(
            `Redis did not become ready within ${timeoutMs} ms (status ${client.status}); check the "redis" option.`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    while (this.#bus && !this.#bus.isConnected) {
      if (Date.now() > deadline) throw new ConnectionError(`The invalidation bus did not subscribe within ${timeoutMs} ms.`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Closes the bus and the Redis connections the cache opened. */
  async close(): Promise<void> {
    if (this.#lifecycle.closed) return;
    this.#lifecycle.closed = true;
    clearTimeout(this.#replayTimer);
    this.#l2?.stopWatchdog();
    await this.#bus?.close();
    const redis = this.#redis;
    if (redis && this.#ownsRedis) await redis.quit().catch(() => redis.disconnect());
  }
}

/**
 * Throws `InvalidOptionError` naming the first option of `next` whose effective value (an omitted
 * option is its default: version 1, L1 on, the cache's codec and entry defaults) differs from `first`'s.
 */
function assertSameOptions(
  name: string,
  first: NamespaceOptions<unknown>,
  next: NamespaceOptions<unknown>,
  defaults: NamespaceOptions<unknown>,
): void {
  const names = new Set([...Object.keys(first), ...Object.keys(next)]) as Set<keyof NamespaceOptions<unknown>>;
  for (const option of names) {
    const a = first[option] ?? defaults[option];
    const b = next[option] ?? defaults[option];
    if (!Object.is(a, b))
      throw new InvalidOptionError(
        `Namespace "${name}" already exists with a different "${option}" (${describe(a)}, now ${describe(b)}); a namespace has one set of options per cache.`,
      );
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "unset";
  if (typeof value === "object" || typeof value === "function") return "another object";
  return JSON.stringify(value);
}
