import type { StandardSchemaV1 } from "@standard-schema/spec";
import { z } from "zod";
import type { Codec } from "./encoding/codec.js";
import { InvalidOptionError } from "./errors.js";
import type { CacheLogger } from "./observability/burst-logger.js";
import type { RedisInput } from "./tiers/redis-connection.js";
import type { Clock } from "./time/clock.js";
import type { WritePolicy } from "./write/versions.js";

/**
 * How a miss is protected against stampedes.
 * - `none`: every caller calls the loader.
 * - `local`: callers in one process share one load (single flight).
 * - `distributed`: single flight plus a Redis lock, so one process in the whole cluster loads.
 */
export type Protection = "none" | "local" | "distributed";

/**
 * What callers get from L1, where one decoded value is shared by every reader in the process.
 * - `frozen`: the value is deep-frozen once when it is decoded (before it enters L1 or reaches any
 *   caller), so a mutation throws in strict-mode code instead of changing what others read. Cost: one
 *   walk of the value per decode (L2 hit, load, set); none per L1 hit.
 * - `cloned`: every read returns its own `structuredClone` of the value, free to change. Cost: a deep
 *   copy on every read, L1 hits included (about as much as decoding the value again).
 * - `shared`: every reader gets the one instance; a mutation is seen by all. No cost, no protection.
 */
export type L1Values = "frozen" | "cloned" | "shared";

/** Settings shared by every namespace; each can be overridden per namespace and most per call. */
export interface EntryPolicy {
  /** How long a loaded value is fresh, in ms. @default 60_000 */
  ttlMs: number;
  /** How long an "absent" marker (loader returned null/undefined) is kept, in ms. @default 5_000 */
  negativeTtlMs: number;
  /** TTL spread: each write's TTL is scaled by a random factor in [1 - jitter, 1 + jitter]. 0 turns it off. @default 0.1 */
  jitter: number;
  /** How long after its TTL a stale copy is kept to serve when the loader fails or is slow, in ms. 0 turns fail-safe off. @default 300_000 */
  graceMs: number;
  /** Stampede protection on a miss. @default "distributed" */
  protection: Protection;
  /**
   * How long the distributed lock outlives its holder, in ms. The holder renews
   * it every lockTtlMs / 3 while its loader runs (a slow load keeps its lock),
   * so a holder that dies frees it within about this long and one waiter takes
   * it over. @default 1_000
   */
  lockTtlMs: number;
  /** How long a caller waits for another process's load before giving up on it, in ms (nginx's proxy_cache_lock_timeout). @default 5_000 */
  lockWaitTimeoutMs: number;
  /** Past the lock wait deadline with no stale copy: load anyway, or throw `LockTimeoutError`. @default "load" */
  onLockTimeout: "load" | "throw";
  /** With a stale copy at hand, serve it if the loader has not answered after this many ms, and let the load finish in the background. 0 turns it off. @default 0 */
  softTimeoutMs: number;
  /**
   * After the loader fails and a stale copy is served, serve that copy without
   * calling the loader again for this many ms (per key, per process); then one
   * call probes the loader. 0 calls the loader on every read.
   * @default 10_000
   */
  failSafeThrottleMs: number;
  /** Give up on the loader after this many ms (`LoaderTimeoutError`, or the stale copy if there is one). 0 turns it off. @default 0 */
  hardTimeoutMs: number;
  /**
   * Past `hardTimeoutMs`, let the load go on in the background (its `signal` is not aborted) and
   * fill the cache when it finishes, instead of dropping its result. The caller still gets the
   * timeout (or the stale copy) at once. The load keeps its lock, so other callers wait for it as
   * for any load, and its lease, so it is still fenced: a delete, set or clear after it began, or a
   * load that took its lease over, keeps its result out of both tiers. A load slower than
   * `leaseTtlMs` never fills. Applies to `getOrSet`, not to `getOrSetMany`. @default false
   */
  backgroundCompletion: boolean;
  /** XFetch `beta` for probabilistic early refresh; higher refreshes earlier. 0 turns it off. @default 1 */
  earlyRefreshBeta: number;
}

/** Options of `createCache`. */
export interface CacheOptions {
  /** First segment of every Redis key and of the bus channel; letters, digits, `_`, `-`. @default "hoard" */
  prefix?: string;
  /**
   * How to reach Redis: a URL, ioredis options, `{ cluster: ["host:port", ...] }` for Redis Cluster,
   * or a ready `Redis` or `Cluster` instance (then the cache does not close it). `false` turns L2 (and the bus) off.
   * @default "redis://127.0.0.1:6379"
   */
  redis?: RedisInput | false;
  /** The in-process tier; `false` turns it off. */
  l1?:
    | {
        /** Most entries held. @default 10_000 */
        maxEntries?: number;
        /** Most memory held, in estimated heap bytes (decoded value, key and bookkeeping). @default 67_108_864 (64 MiB) */
        maxBytes?: number;
        /**
         * Who may take a full L1's last slot. `"lru"`: every new entry enters and the least recently
         * used one leaves. `"tinylfu"`: a count-min sketch counts every L1 lookup (about 4 x 4 x
         * maxEntries bytes, rounded up to a power of two, halved every 10 x maxEntries lookups); a new
         * key enters a full L1 only if it was looked up more often lately than the entry it would
         * evict. Higher hit rates under skewed traffic (BENCHMARKS.md, row 8), for one key hash and
         * four counter updates on every L1 lookup, hits included (row 8 gives that cost too). With
         * `redis: false` a refused entry is simply not cached. @default "lru"
         */
        admission?: "lru" | "tinylfu";
      }
    | false;
  /**
   * How long a Redis command may wait on a client the cache creates, in ms. On
   * a single Redis, a connection that answers nothing for this long while
   * commands wait is dropped (failing them at once) and the breaker opens; on
   * a cluster it is each command's timeout. @default 250
   */
  commandTimeoutMs?: number;
  /**
   * Replicas that must confirm each delete (`WAIT`) before it counts as done, for a Redis with replicas (a
   * cluster made with `--cluster-replicas`, a primary with replicas). Redis replicates asynchronously: after a
   * failover to a replica that had not received a delete, L2 serves the value the delete removed. With n > 0 a
   * delete that n replicas did not confirm within `replicaAckTimeoutMs` is kept pending, as one that could not
   * reach Redis: reads of its key skip L2 and it is sent again. Keep 0 without replicas: WAIT would wait out its
   * timeout on every delete. @default 0
   */
  replicaAcks?: number;
  /** How long a delete waits for `replicaAcks` confirmations, in ms; keep it under `commandTimeoutMs`. @default 100 */
  replicaAckTimeoutMs?: number;
  /**
   * Batch concurrent reads: on a single Redis, the GETs issued in one turn of
   * the event loop go out as one MGET (a lone read is still a plain GET, with
   * no added delay); on a cluster, ioredis auto-pipelining. @default true
   */
  batchReads?: boolean;
  /** Consecutive Redis failures that open the circuit breaker. @default 3 */
  breakerThreshold?: number;
  /** How long an open breaker skips Redis before one probe, in ms. @default 1_000 */
  breakerCoolDownMs?: number;
  /** Publish invalidations and listen to other processes' (needs `redis`). @default true */
  bus?: boolean;
  /**
   * How often the bus's subscriber connection is PINGed, and how long the
   * answer may take, in ms. A connection that goes silent without closing is
   * then noticed within 2 x busHeartbeatMs and handled like a disconnect (L1
   * flushed, short-lived L1 entries until it is back). 0 turns it off.
   * @default 1_000
   */
  busHeartbeatMs?: number;
  /** How long a load's lease (the token that fences its fill) lives, in ms; loads slower than this never fill. @default 60_000 */
  leaseTtlMs?: number;
  /** Defaults for every namespace. See {@link EntryPolicy} for each default. */
  defaults?: Partial<EntryPolicy>;
  /** Default codec. @default jsonCodec */
  codec?: Codec;
  /** Where failures are logged (at most once per `errorLogIntervalMs` per kind). @default JSON lines on stderr */
  logger?: CacheLogger;
  /** Quiet period after logging a failure of one kind, in ms. @default 10_000 */
  errorLogIntervalMs?: number;
  /** Time source for every expiry decision. @default Date.now */
  clock?: Clock;
  /** Random source in [0, 1) for jitter and early refresh. @default Math.random */
  random?: () => number;
}

/** Options of `cache.namespace(name, options)`. */
export interface NamespaceOptions<T> extends Partial<EntryPolicy> {
  /** Schema version of the stored values; bump it when their shape changes. @default 1 */
  version?: number;
  /** Codec for this namespace. @default the cache's codec */
  codec?: Codec;
  /** Validates (and may transform) every decoded value; a failure is a miss. Any Standard Schema (zod, valibot, arktype). @default none */
  schema?: StandardSchemaV1<unknown, T>;
  /** Use the cache's L1 for this namespace. @default true when the cache has an L1 */
  l1?: boolean;
  /**
   * Whether callers can change the values they are handed: deep-frozen once on decode, cloned on
   * every read, or the shared instance. See {@link L1Values} for each one's cost.
   * @default "frozen"
   */
  l1Values?: L1Values;
  /**
   * What `namespace.afterWrite(id, value, { version })` does after the source committed a change:
   * `invalidate` deletes the entry (the next read loads it: one miss per write), `write-through`
   * stores the new value with its version (the next read is a hit; the write costs an encode and a
   * value sent to Redis, read or not), falling back to the delete when the set is refused or cannot
   * land. See {@link WritePolicy}. @default "invalidate"
   */
  writePolicy?: WritePolicy;
  /**
   * How long a version fence (the highest version set or deleted with `{ version }` for an id) is
   * kept after its last versioned delete, in ms; after a versioned set, at least as long as the
   * value. A set older than the fence that arrives later than this may land. @default 60_000
   */
  versionFenceTtlMs?: number;
}

/** Per-call overrides of `getOrSet` and `getOrSetMany`. */
export type CallOptions = Partial<EntryPolicy>;

/** Options of one `getOrSet` / `getOrSetMany` call: policy overrides plus the tags of what it stores. */
export interface GetOrSetOptions extends CallOptions {
  /**
   * Tags of the entries this call stores (1-200 characters each, at most 32;
   * the loader may add more with `ctx.setTags`). `cache.invalidateTags` /
   * `cache.expireTags` then reach them in every namespace. @default none
   */
  tags?: readonly string[];
}

export const DEFAULT_POLICY: EntryPolicy = {
  ttlMs: 60_000,
  negativeTtlMs: 5_000,
  jitter: 0.1,
  graceMs: 300_000,
  protection: "distributed",
  lockTtlMs: 1_000,
  lockWaitTimeoutMs: 5_000,
  onLockTimeout: "load",
  softTimeoutMs: 0,
  failSafeThrottleMs: 10_000,
  hardTimeoutMs: 0,
  backgroundCompletion: false,
  earlyRefreshBeta: 1,
};

const ms = z.number().int().nonnegative();
const positiveMs = z.number().int().positive();

const policySchema = z.strictObject({
  ttlMs: positiveMs,
  negativeTtlMs: positiveMs,
  jitter: z.number().min(0).max(0.5),
  graceMs: ms,
  protection: z.enum(["none", "local", "distributed"]),
  lockTtlMs: positiveMs,
  lockWaitTimeoutMs: positiveMs,
  onLockTimeout: z.enum(["load", "throw"]),
  softTimeoutMs: ms,
  failSafeThrottleMs: ms,
  hardTimeoutMs: ms,
  backgroundCompletion: z.boolean(),
  earlyRefreshBeta: z.number().min(0).max(10),
});

const codecSchema = z.custom<Codec>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as Codec).encode === "function" &&
    typeof (value as Codec).decode === "function",
  "expected a codec with encode() and decode()",
);

const cacheOptionsSchema = z.strictObject({
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1-64 letters, digits, "_" or "-"')
    .optional(),
  redis: z.union([z.string().min(1), z.literal(false), z.object({}).passthrough()]).optional(),
  l1: z
    .union([
      z.literal(false),
      z.strictObject({
        maxEntries: positiveMs.optional(),
        maxBytes: positiveMs.optional(),
        // A refinement, not z.enum: inside the union only a refinement's failure keeps its path ("l1.admission").
        admission: z
          .string()
          .refine((value) => value === "lru" || value === "tinylfu", 'expected "lru" or "tinylfu"')
          .optional(),
      }),
    ])
    .optional(),
  commandTimeoutMs: positiveMs.optional(),
  replicaAcks: z.number().int().min(0).max(16).optional(),
  replicaAckTimeoutMs: positiveMs.optional(),
  batchReads: z.boolean().optional(),
  breakerThreshold: positiveMs.optional(),
  breakerCoolDownMs: positiveMs.optional(),
  bus: z.boolean().optional(),
  busHeartbeatMs: ms.optional(),
  leaseTtlMs: positiveMs.optional(),
  defaults: policySchema.partial().optional(),
  codec: codecSchema.optional(),
  logger: z.custom<CacheLogger>((value) => typeof (value as CacheLogger)?.warn === "function", "expected a logger with warn()").optional(),
  errorLogIntervalMs: ms.optional(),
  clock: z.custom<Clock>((value) => typeof (value as Clock)?.now === "function", "expected { now(): number }").optional(),
  random: z.custom<() => number>((value) => typeof value === "function", "expected a function").optional(),
});

const namespaceOptionsSchema = policySchema.partial().extend({
  version: z.number().int().min(1).optional(),
  codec: codecSchema.optional(),
  schema: z
    .custom(
      (value) => typeof value === "object" && value !== null && "~standard" in value,
      "expected a Standard Schema (zod, valibot, ...)",
    )
    .optional(),
  l1: z.boolean().optional(),
  l1Values: z.enum(["frozen", "cloned", "shared"]).optional(),
  writePolicy: z.enum(["invalidate", "write-through"]).optional(),
  versionFenceTtlMs: positiveMs.optional(),
});

// Tags are checked apart (checkTags), with a message naming the call.
const callOptionsSchema = policySchema.partial().extend({ tags: z.array(z.unknown()).readonly().optional() });

/** Throws {@link InvalidOptionError} naming the first bad option. */
function validate(schema: z.ZodType, input: unknown, where: string): void {
  const result = schema.safeParse(input ?? {});
  if (result.success) return;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? issue.path.join(".") : "(root)";
  throw new InvalidOptionError(`Invalid option "${path}" in ${where}: ${issue?.message ?? "invalid value"}.`);
}

export function validateCacheOptions(options: CacheOptions | undefined): void {
  validate(cacheOptionsSchema, options, "createCache()");
}

export function validateNamespaceOptions(name: string, options: NamespaceOptions<unknown> | undefined): void {
  validate(namespaceOptionsSchema, options, `cache.namespace("${name}")`);
}

const positiveInt = (value: unknown) => Number.isSafeInteger(value) && (value as number) > 0;
const nonNegativeInt = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
const between = (value: unknown, low: number, high: number) => typeof value === "number" && value >= low && value <= high;

/**
 * The same rules as `callOptionsSchema`, checked by hand: an L1 hit with options must not pay for a
 * zod parse. A switch on the name, not a table lookup: the hit path calls this on every call with options.
 */
function quickCheck(name: string, value: unknown): boolean {
  switch (name) {
    case "tags":
      return Array.isArray(value);
    case "ttlMs":
    case "negativeTtlMs":
    case "lockTtlMs":
    case "lockWaitTimeoutMs":
      return positiveInt(value);
    case "graceMs":
    case "softTimeoutMs":
    case "failSafeThrottleMs":
    case "hardTimeoutMs":
      return nonNegativeInt(value);
    case "jitter":
      return between(value, 0, 0.5);
    case "earlyRefreshBeta":
      return between(value, 0, 10);
    case "protection":
      return value === "none" || value === "local" || value === "distributed";
    case "onLockTimeout":
      return value === "load" || value === "throw";
    case "backgroundCompletion":
      return typeof value === "boolean";
    default:
      return false;
  }
}

/** Throws {@link InvalidOptionError} naming the first bad option; valid options cost a few property checks. */
export function validateCallOptions(options: GetOrSetOptions | undefined): void {
  if (!options) return;
  for (const name in options) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    // `tags`, the option most hits carry, is only shape-checked here (its strings are checked when a
    // load or refresh uses them). Anything the quick check does not accept gets zod's verdict and message.
    if (name === "tags" ? !Array.isArray(value) : !quickCheck(name, value)) {
      validate(callOptionsSchema, options, "call options");
      return;
    }
  }
}
