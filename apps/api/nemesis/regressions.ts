import type { RedisTopology } from "./support/schedule.js";

/**
 * A seed whose run found a bug, kept once the bug is fixed: `pnpm test:nemesis
 * --regressions` replays every one of them, the CI lane (no flags) those marked
 * `lane` (one per fix in the product, to keep the lane a few minutes long), and a
 * violation fails the run like any other. There is no list of tolerated findings: a
 * finding is fixed (and its seed lands here) or the suite fails. Timing
 * still varies between replays: a seed replays the schedule that made the
 * bug likely, not the exact interleaving.
 */
export interface Regression {
  seed: number;
  durationMs: number;
  /** The topology, only when the run that found it forced one (`--redis`): forcing it changes the schedule. */
  redis?: RedisTopology;
  /** What the run found. */
  finding: string;
  /** Where it was fixed. */
  fix: string;
  /** Replayed by the CI lane too (one seed per fix in the cache or the API). */
  lane?: boolean;
}

const REDIS_RETRY =
  "packages/cache/src/tiers/redis-connection.ts: every command in flight at a connection close fails at that close (maxRetriesPerRequest 0), so no key waits on a reply that never comes";
const HEARTBEAT = "packages/cache coordination: the bus heartbeat notices a silent bus connection and drops L1";

/** Seen on list pages. */
const TAG_SEQUENCE =
  "packages/cache/src/tiers/redis-scripts.ts TAG_SEQUENCE_LUA: tag sequence numbers are the larger of the stored number + 1 and Redis's clock in microseconds, so they keep growing when Redis loses the key";

export const REGRESSIONS: Regression[] = [
  {
    seed: 197022269,
    durationMs: 12_000,
    finding: "key hangs after a Redis interruption (redis-kill during a lock-holder-kill)",
    fix: REDIS_RETRY,
  },
  { seed: 197022270, durationMs: 12_000, finding: "key hangs after a Redis interruption (redis-kill)", fix: REDIS_RETRY },
  {
    seed: 197022271,
    durationMs: 12_000,
    finding: "key hangs after a Redis interruption (redis-partition stall and reset)",
    fix: REDIS_RETRY,
  },
  {
    seed: 197684865,
    lane: true,
    durationMs: 10_000,
    finding: "key hangs after a Redis interruption (a read in flight when Redis was SIGKILLed never ends)",
    fix: REDIS_RETRY,
  },
  {
    seed: 197022267,
    durationMs: 12_000,
    finding: "2 database loads for one stampede with no fault active",
    fix: "nemesis workload: two stampedes of one key overlapped, the second's invalidation voided the first's lease (a correct reload); StampedeGate now keeps stampedes of one key apart",
  },
  {
    seed: 197684869,
    durationMs: 10_000,
    finding: "read-your-writes: instance 0 served v3 1.4 s after acknowledging v4 (two other instances down)",
    fix: "apps/api outbox: the writer settles its own row (one fenced delete per write) before answering",
  },
  {
    seed: 2,
    lane: true,
    durationMs: 20_000,
    finding:
      "read-your-writes while Redis is unreachable (instance 2 served v1 4.2 s after acknowledging v2); later instance 1 answered v1 right after acknowledging v2 (its read joined a load begun before the write)",
    fix: "packages/cache read/read-path.ts: a key whose delete waits for replay is not read from L2; single flight: a read after an invalidation does not join an older load",
  },
  {
    seed: 198240600,
    lane: true,
    durationMs: 10_000,
    finding:
      "half-open bus stays stale (instance 1, during a Redis SIGSTOP); later also read-your-writes (v0 after v3) and 3 loads for one stampede under Redis latency",
    fix: `${HEARTBEAT}; nemesis link proxy: latency reordered the byte stream (one timer per chunk), handing Redis replies to the wrong commands`,
  },
  { seed: 198240605, durationMs: 10_000, finding: "half-open bus stays stale (instances 0 and 2)", fix: HEARTBEAT },
  { seed: 198240606, durationMs: 10_000, finding: "half-open bus stays stale (instances 0 and 1)", fix: HEARTBEAT },
  {
    seed: 221036891,
    lane: true,
    durationMs: 20_000,
    finding:
      "crash: an instance exited on an unhandled MaxRetriesPerRequestError (a bus-partition reset right after the bus reconnected); later read-your-writes: a restarted instance answered v5 right after acknowledging v6",
    fix: "packages/cache/src/cache.ts: the bus connection has autoResubscribe off (ioredis dropped the promise of its own resubscribe); apps/api outbox settle deletes the key even when it cannot lock its row",
  },
  {
    seed: 222211895,
    durationMs: 20_000,
    finding: "a create answered 503 after 5 s with no fault active, 8.7 s after a half-open Postgres link was healed",
    fix: "checker: a dead pooled connection a half-open Postgres link left behind fails one call after the query timeout, up to the pool's idleTimeoutMillis after the heal (bounds.ts DEAD_POOLED_CONNECTION_MS)",
  },
  {
    seed: 222529583,
    durationMs: 20_000,
    finding:
      "an instance exited: 'port 3000 is already in use' (two lock-holder kills of one instance, the first one's restart still under way)",
    fix: "nemesis: a kill of an instance waits for its last restart",
  },
  {
    seed: 223547985,
    durationMs: 20_000,
    finding:
      "an instance exited: 'port 3000 is already in use' (an instance kill while a lock-holder kill of it still waited for its waiters)",
    fix: "nemesis: a kill of an instance waits until its previous kill fault is over, restart included",
  },
  {
    seed: 198240598,
    durationMs: 10_000,
    finding: "crash: unhandled 'error' of an outbox transaction's pg client on a Postgres reset",
    fix: "apps/api/src/db/outbox.ts: an error listener on the checked-out client",
  },
  {
    seed: 198240599,
    lane: true,
    durationMs: 10_000,
    redis: "cluster",
    finding:
      "crash: the same, on the cluster; later instance 2 answered v0 right after acknowledging v1 (a read joined a load begun before the write)",
    fix: "apps/api/src/db/outbox.ts: an error listener on the checked-out client; single flight: a read after an invalidation does not join an older load",
  },
  {
    seed: 1,
    durationMs: 20_000,
    finding:
      "read-your-writes on list pages: during a redis-pause instance 0 showed v11 of a user on user.list after acknowledging v13 (the list tag was invalidated only once Redis acknowledged the profile's delete); once that was fixed, right after a 4 s redis-pause instance 1 served a page with v0 of a user it had acknowledged v7 of (byId reads were right): another instance had built the page from profiles in its L1, stale within its own allowance, after reading the tag's latest number",
    fix: "apps/api/src/users/user-service.ts: invalidate() attempts the profile's delete and the list tag's invalidation both, each dropping this instance's L1 at once; loadPage() reads a page from Postgres in one query, never composed from cached profiles (apps/api/test/list-page-freshness.test.ts). Seed 1 is also one of the CI lane's own seeds",
  },
  {
    seed: 236127581,
    lane: true,
    durationMs: 20_000,
    finding:
      "read-your-writes and stale list pages after a redis-kill: the tag sequence restarted at 1 in the empty Redis, below the numbers entries had recorded, so invalidations of users:list were ignored",
    fix: TAG_SEQUENCE,
  },
  {
    seed: 236127582,
    durationMs: 20_000,
    finding: "the same, after two redis-kills",
    fix: TAG_SEQUENCE,
  },
  {
    seed: 236127584,
    durationMs: 20_000,
    finding: "the same, after a redis-kill",
    fix: TAG_SEQUENCE,
  },
  {
    seed: 236127586,
    durationMs: 20_000,
    finding: "the same, after a redis-kill with bus partitions",
    fix: TAG_SEQUENCE,
  },
  {
    seed: 236127580,
    durationMs: 20_000,
    finding: "read-your-writes on list pages on the cluster, around master kills (failover); passes with the same fix",
    fix: TAG_SEQUENCE,
  },
];
