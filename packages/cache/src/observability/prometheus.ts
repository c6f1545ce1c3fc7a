import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { type Cache, type CacheSnapshot, cacheInternals } from "../cache.js";
import type { NamespaceCounters } from "./stats.js";

/** Options of {@link registerCacheMetrics}. */
export interface CacheMetricsOptions {
  /** The registry to add the metrics to. */
  registry: Registry;
  /** Metric name prefix. @default "hoard_cache_" */
  prefix?: string;
}

const COUNTER_HELP: Record<keyof NamespaceCounters, string> = {
  l1Hits: "Fresh values served from L1",
  l1Misses: "L1 lookups without a fresh value",
  l2Hits: "Fresh values served from L2 (Redis)",
  l2Misses: "L2 lookups without a fresh value",
  negativeHits: "Absent markers served (negative caching)",
  misses: "Lookups that found no fresh value in any tier",
  loads: "Loader calls",
  loadErrors: "Loader calls that failed or timed out",
  coalesced: "Calls that joined a load already running in the process",
  fills: "Loaded values stored",
  fillsRefused: "Fills refused because the key was invalidated during the load",
  staleServed: "Stale values served within grace",
  earlyRefreshes: "Background refreshes started before expiry",
  decodeErrors: "Stored values that failed to decode or validate",
  errors: "Cache operations that failed and fell through",
  lockAcquired: "Distributed locks acquired",
  lockWaits: "Calls that waited for another process's load",
  lockTimeouts: "Waits that passed the lock wait deadline",
  sets: "Explicit sets",
  setsRefused: "Sets with a version refused as not newer than the one stored or deleted",
  deletes: "Explicit deletes",
  clears: "Namespace clears",
  expires: "Entries expired on demand (namespace.expire)",
};

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Latency buckets, in seconds: from an L1-speed call to a slow loader. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Registers the cache's numbers on a prom-client registry, read at scrape
 * time so the hot path pays nothing: counters as Counters (`_total`),
 * latencies as a Histogram, health as Gauges. One scrape takes one
 * `cache.stats()` snapshot, shared by every metric.
 */
export function registerCacheMetrics(cache: Cache, options: CacheMetricsOptions): void {
  const prefix = options.prefix ?? "hoard_cache_";
  const registers = [options.registry];
  // prom-client calls every collect() of one scrape in one synchronous loop: they share one
  // snapshot, dropped at the next microtask so the next scrape takes a new one.
  let snapshot: CacheSnapshot | undefined;
  const stats = (): CacheSnapshot => {
    if (!snapshot) {
      snapshot = cache.stats();
      queueMicrotask(() => {
        snapshot = undefined;
      });
    }
    return snapshot;
  };
  for (const counter of Object.keys(COUNTER_HELP) as (keyof NamespaceCounters)[]) {
    new Counter({
      name: `${prefix}${snakeCase(counter)}_total`,
      help: COUNTER_HELP[counter],
      labelNames: ["namespace"],
      registers,
      collect() {
        // The cache's counters only grow: reset and add the current value (a Counter has no set()).
        this.reset();
        for (const ns of stats().namespaces) this.inc({ namespace: ns.name }, ns.counters[counter]);
      },
    });
  }
  // Fed at scrape time with the samples recorded since the last scrape (each operation keeps its last 2 048).
  const seen = new Map<string, number>();
  new Histogram({
    name: `${prefix}operation_duration_seconds`,
    help: "Duration of cache operations (getOrSet past L1, get, set, delete, load) and Redis round trips",
    labelNames: ["namespace", "operation"],
    buckets: LATENCY_BUCKETS,
    registers,
    collect() {
      for (const ns of stats().namespaces) {
        for (const [operation, samples] of Object.entries(cacheInternals(cache).latencySamplesSince(ns.name, seen))) {
          for (const ms of samples) this.observe({ namespace: ns.name, operation }, ms / 1000);
        }
      }
    },
  });
  const gauge = (name: string, help: string, read: (s: CacheSnapshot) => number) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      registers,
      collect() {
        this.set(read(stats()));
      },
    });
  gauge("l1_entries", "Entries held in L1", (s) => s.l1.entries);
  gauge("l1_bytes", "Encoded bytes held in L1", (s) => s.l1.bytes);
  gauge("redis_circuit_open", "1 while the Redis circuit breaker skips L2", (s) => (s.l2.circuit === "closed" ? 0 : 1));
  gauge("bus_connected", "1 while the invalidation bus is subscribed", (s) => (s.bus?.connected ? 1 : 0));
  new Counter({
    name: `${prefix}bus_l1_flushes_total`,
    help: "L1 clears caused by a lost bus connection or a sequence gap",
    registers,
    collect() {
      this.reset();
      this.inc(stats().bus?.flushes ?? 0);
    },
  });
}
