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
/** With a fault active: at most one per instance (single flight still holds in each process). */
export const degradedStampedeLoads = (instances: number): number => instances;
