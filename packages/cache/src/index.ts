export type { CacheLogger } from "./burst-logger.js";
export { Cache, type CacheSnapshot, createCache, type NamespaceSnapshot } from "./cache.js";
export type { CircuitState } from "./circuit-breaker.js";
export { type Clock, systemClock } from "./clock.js";
export { type Codec, jsonCodec, msgpackCodec } from "./codec.js";
export {
  CacheClosedError,
  CacheError,
  type CacheErrorCode,
  ConnectionError,
  DecodeError,
  EncodeError,
  InvalidKeyError,
  InvalidOptionError,
  LoaderError,
  LoaderTimeoutError,
  LockTimeoutError,
} from "./errors.js";
export type { CacheEventMap, CacheEventName, StaleReason, Tier } from "./events.js";
export type { InspectedEntry, InspectPage } from "./inspect.js";
export type { BusHealth } from "./invalidation-bus.js";
export { type CacheId, decodeId, encodeId, KeySpace } from "./keys.js";
export type { LatencySummary } from "./latency-window.js";
export type { LoaderContext } from "./loader-runner.js";
export type { BatchLoader, DetailedResult, Loader, Namespace, ResultSource } from "./namespace.js";
export type { CacheOptions, CallOptions, EntryPolicy, NamespaceOptions, Protection } from "./options.js";
export type { PeekedCopy, PeekedEntry } from "./peek.js";
export type { ClusterInput, RedisClient, RedisInput } from "./redis-connection.js";
export type { HitRates, NamespaceCounters, TimedOperation } from "./stats.js";
