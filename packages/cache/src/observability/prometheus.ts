import { Gauge, type Registry } from "prom-client";
import type { Cache } from "../cache.js";
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
  deletes: "Explicit deletes",
  clears: "Namespace clears",
};

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * Registers the cache's numbers on a prom-client registry; they are read from
 * `cache.stats()` at scrape time, so the hot path pays nothing.
 */
export function registerCacheMetrics(cache: Cache, options: CacheMetricsOptions): void {
  const prefix = options.prefix ?? "hoard_cache_";
  const registers = [options.registry];
  for (const counter of Object.keys(COUNTER_HELP) as (keyof NamespaceCounters)[]) {
    new Gauge({
      name: `${prefix}${snakeCase(counter)}_total`,
      help: `${COUNTER_HELP[counter]} (monotonic)`,
      labelNames: ["namespace"],
      registers,
      collect() {
        for (const ns of cache.stats().namespaces) this.set({ namespace: ns.name }, ns.counters[counter]);
      },
    });
  }
  new Gauge({
    name: `${prefix}latency_seconds`,
    help: "Recent latency percentiles per operation",
    labelNames: ["namespace", "operation", "quantile"],
    registers,
    collect() {
      for (const ns of cache.stats().namespaces) {
        for (const [operation, summary] of Object.entries(ns.latency)) {
          if (!summary) continue;
          this.set({ namespace: ns.name, operation, quantile: "0.5" }, summary.p50 / 1000);
          this.set({ namespace: ns.name, operation, quantile: "0.95" }, summary.p95 / 1000);
          this.set({ namespace: ns.name, operation, quantile: "0.99" }, summary.p99 / 1000);
        }
      }
    },
  });
  new Gauge({
    name: `${prefix}l1_entries`,
    help: "Entries held in L1",
    registers,
    collect() {
      this.set(cache.stats().l1.entries);
    },
  });
  new Gauge({
    name: `${prefix}l1_bytes`,
    help: "Encoded bytes held in L1",
    registers,
    collect() {
      this.set(cache.stats().l1.bytes);
    },
  });
  new Gauge({
    name: `${prefix}redis_circuit_open`,
    help: "1 while the Redis circuit breaker skips L2",
    registers,
    collect() {
      this.set(cache.stats().l2.circuit === "closed" ? 0 : 1);
    },
  });
  new Gauge({
    name: `${prefix}bus_connected`,
    help: "1 while the invalidation bus is subscribed",
    registers,
    collect() {
      this.set(cache.stats().bus?.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: `${prefix}bus_l1_flushes_total`,
    help: "L1 clears caused by a lost bus connection or a sequence gap",
    registers,
    collect() {
      this.set(cache.stats().bus?.flushes ?? 0);
    },
  });
}
