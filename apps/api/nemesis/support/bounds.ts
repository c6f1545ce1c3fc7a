import { BUS_DELAY_BUDGET_MS } from "../../chaos/support/scenario.js";

/** Healthy: a read may trail a write acknowledged elsewhere by the bus delay (the chaos suite's budget). */
export const HEALTHY_STALE_BOUND_MS = BUS_DELAY_BUDGET_MS;
/**
 * While an instance may be cut off (any fault active): what it put in L1
 * while its bus was down lives at most the cache's L1_TTL_WHILE_BUS_DOWN_MS
 * (5 s, packages/cache/src/namespace-core.ts), plus the bus delay.
 */
export const CUT_OFF_STALE_BOUND_MS = 5_000 + BUS_DELAY_BUDGET_MS;
/**
 * How long a fault's effects may outlast its heal: Postgres listener
 * reconnect backoff (capped at 5 s, apps/api/src/db/notify-listener.ts).
 */
export const SETTLE_MS = 5_000;
/**
 * Longest a call may take: the lock wait (lockWaitTimeoutMs 5 s) then the
 * load itself (query_timeout 2 s, with room for a retried one) plus a connect (2 s).
 */
export const CALL_DEADLINE_MS = 12_000;
/** After the last fault is healed, every instance serves the last acknowledged write of every id within this. */
export const CONVERGENCE_BOUND_MS = 15_000;
/** Database loads per stampede with everything healthy: one, for all instances together (the Redis lock). */
export const HEALTHY_STAMPEDE_LOADS = 1;
/**
 * Otherwise (a fault active, a lock holder killed, or Redis failing a cache): what single flight
 * promises in each process, one load at a time per instance (`local` protection: "callers in one
 * process share one load"). Not one load per instance in all: a caller that arrives after a flight
 * ended loads again whenever the value did not stay in L1 and L2 cannot serve it (L2 unreachable;
 * a fill elsewhere or a bus reconnect dropped the L1 copy; a failed load is not cached; a key whose
 * delete waits for replay is not read from L2), which is correct and depends on those messages.
 */
export const DEGRADED_CONCURRENT_LOADS = 1;
/** Two loads' server-side windows must overlap by more than this to count as concurrent (timer and rounding slack). */
export const LOAD_WINDOW_SLACK_MS = 5;
/**
 * A half-open Postgres link leaves dead connections idle in the instance's pool (black-holed, never
 * closed). Each fails the one call it is handed to after the query timeout (5 s, then the pool drops
 * it), or is closed unused at the pool's idleTimeoutMillis (30 s, apps/api/src/db/client.ts). So for
 * that long after the heal a call on that instance may end in a 503 after the query timeout.
 */
export const DEAD_POOLED_CONNECTION_MS = 30_000 + 5_000;
/** The API's query timeout (apps/api/src/db/client.ts): a call handed a dead connection fails after it. */
export const QUERY_TIMEOUT_MS = 5_000;
