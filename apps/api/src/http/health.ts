import type { RedisClient } from "@hoard/cache";
import type { Router } from "express";
import express from "express";
import type pg from "pg";
import { pingDatabase } from "../db/client.js";
import type { ListenerState } from "../db/notify-listener.js";
import type { Services } from "../services.js";

export interface HealthDependencies {
  services: Services;
  pool: pg.Pool;
  postgresMode: "external" | "embedded";
  listener: () => ListenerState | undefined;
}

/** Whether Redis answers PING within `timeoutMs`. */
async function pingRedis(redis: RedisClient | undefined, timeoutMs = 1_000): Promise<{ ok: boolean; error?: string }> {
  if (!redis) return { ok: false, error: "no Redis configured" };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz`: the process is up (liveness, no dependency checked).
 * `/readyz`: 200 only when Postgres and Redis both answer within a second,
 * else 503; the JSON names each dependency's state and the Redis mode, and
 * the invalidation outbox's depth and oldest age.
 */
export function healthRoutes({ services, pool, postgresMode, listener }: HealthDependencies): Router {
  const routes = express.Router();
  routes.get("/healthz", (_req, res) => {
    res.json({ status: "ok", instance: services.instance.id, uptimeMs: Date.now() - services.instance.startedAt });
  });
  routes.get("/readyz", async (_req, res) => {
    const [postgres, redis, outbox] = await Promise.all([
      pingDatabase(pool),
      pingRedis(services.cache.redis),
      withTimeout(services.outbox.state(), 1_000).catch(() => null),
    ]);
    const ready = postgres.ok && redis.ok;
    res.status(ready ? 200 : 503).json({
      status: ready ? "ready" : "not-ready",
      instance: services.instance.id,
      postgres: { state: postgres.ok ? "up" : "down", mode: postgresMode, error: postgres.error },
      redis: { state: redis.ok ? "up" : "down", mode: services.redisMode, error: redis.error },
      listener: listener() ?? null,
      // Invalidations committed in Postgres and not yet acknowledged by Redis (null: Postgres did not say).
      outbox,
      warnings: services.warnings,
    });
  });
  return routes;
}
