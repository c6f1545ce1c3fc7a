// The public door of @hoard/cache: what a user needs to create a cache, type its namespaces and
// loaders, handle its errors and read its events and stats. Everything else is internal.
export { type Cache, type CacheSnapshot, createCache, type NamespaceSnapshot } from "./cache.js";
export type { BusHealth } from "./coordination/invalidation-bus.js";
export type { TagVerdict } from "./coordination/tag-registry.js";
export { type Codec, jsonCodec, msgpackCodec } from "./encoding/codec.js";
export type { CacheId } from "./encoding/keys.js";
export {
  BatchLoadError,
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
export type {
  AfterWriteResult,
  BatchLoader,
  DeleteOptions,
  DetailedResult,
  Loader,
  Namespace,
  ResultSource,
  SetOptions,
  VersionedSetResult,
  WritePolicy,
} from "./namespace.js";
export type { CacheLogger } from "./observability/burst-logger.js";
export type { CacheEventMap, CacheEventName, StaleReason, Tier } from "./observability/events.js";
export type { LatencySummary } from "./observability/latency-window.js";
export { type HitRates, hitRates, type NamespaceCounters, type TimedOperation } from "./observability/stats.js";
export type { CacheOptions, CallOptions, EntryPolicy, GetOrSetOptions, NamespaceOptions, Protection } from "./options.js";
export type { LoaderContext } from "./read/loader-runner.js";
export type { CircuitState } from "./tiers/circuit-breaker.js";
export type { InspectedEntry, InspectPage } from "./tiers/inspect.js";
export type { PeekedCopy, PeekedEntry } from "./tiers/peek.js";
export type { ClusterInput, RedisInput } from "./tiers/redis-connection.js";
export type { Clock } from "./time/clock.js";
