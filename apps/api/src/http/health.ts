import type { Router } from "express";
import express from "express";
import type pg from "pg";
import { type AppRedis, HOW_TO_GET_REDIS, PATTERNS_NEEDING_REDIS } from "../cache/redis-connection.js";
import { pingDatabase } from "../db/client.js";
import type { ListenerState } from "../db/notify-listener.js";
import type { Services } from "../services.js";
import { withTimeout } from "../timeout.js";
import type { InternalsAccess } from "./internals-access.js";
import { withoutAddresses } from "./public-errors.js";

export interface HealthDependencies {
  services: Services;
  pool: pg.Pool;
  postgresMode: "external" | "embedded";
  listener: () => ListenerState | undefined;
}

/** An error as /readyz shows it: without internal addresses (the logs have them). */
function shown(error: string | undefined): string | undefined {
  return error === undefined ? undefined : withoutAddresses(error);
}

/** Whether Redis answers PING within `timeoutMs`. */
async function pingRedis(redis: AppRedis | undefined, timeoutMs = 1_000): Promise<{ ok: boolean; error?: string }> {
  if (!redis) return { ok: false, error: "no Redis configured" };
  try {
    await withTimeout(redis.ping(), timeoutMs);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** The invalidation bus as /readyz shows it; null without Redis. */
function busState(services: Services): { connected: boolean; lastMessageAt: number | null; heartbeatMisses: number } | null {
  const bus = services.cache.busHealth();
  return bus ? { connected: bus.connected, lastMessageAt: bus.lastMessageAt, heartbeatMisses: bus.heartbeatMisses } : null;
}

/**
 * `/healthz`: the process is up (liveness, no dependency checked).
 * `/readyz`: 200 only when Postgres and Redis both answer within a second
 * (or there is no Redis by choice: L1 only, said in the body with what it
 * costs), else 503; the JSON names each dependency's state and the Redis mode,
 * whether this instance hears the invalidation bus (false also when its
 * connection went silent: the heartbeat missed; L1 then keeps entries only
 * briefly), and the invalidation outbox's depth and oldest age. With METRICS_TOKEN set, the details are for
 * callers with that token (or the admin token); others get the status alone, with the same code.
 */
export function healthRoutes({ services, pool, postgresMode, listener }: HealthDependencies, access: InternalsAccess): Router {
  const routes = express.Router();
  routes.get("/healthz", (_req, res) => {
    res.json({ status: "ok", instance: services.instance.id, uptimeMs: Date.now() - services.instance.startedAt });
  });
  routes.get("/readyz", async (req, res) => {
    const [postgres, redis, outbox] = await Promise.all([
      pingDatabase(pool),
      pingRedis(services.redis),
      withTimeout(services.outbox.state(), 1_000).catch(() => null),
    ]);
    // Without Redis (mode "none") the instance runs L1 only by design: ready, and the body says what is missing.
    const noRedis = services.redisMode === "none";
    const ready = postgres.ok && (redis.ok || noRedis);
    if (!access.allows(req)) {
      res
        .status(ready ? 200 : 503)
        .json({ status: ready ? "ready" : "not-ready", details: "send the METRICS_TOKEN (or admin token) for details" });
      return;
    }
    res.status(ready ? 200 : 503).json({
      status: ready ? "ready" : "not-ready",
      instance: services.instance.id,
      postgres: { state: postgres.ok ? "up" : "down", mode: postgresMode, error: shown(postgres.error) },
      redis: noRedis
        ? { state: "none", mode: "none", unavailable: PATTERNS_NEEDING_REDIS, howToGet: HOW_TO_GET_REDIS }
        : { state: redis.ok ? "up" : "down", mode: services.redisMode, error: shown(redis.error) },
      bus: busState(services),
      listener: listener() ?? null,
      // Invalidations committed in Postgres and not yet acknowledged by Redis (null: Postgres did not say).
      outbox,
      warnings: services.warnings,
    });
  });
  return routes;
}
