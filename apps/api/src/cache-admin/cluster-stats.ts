import { type BusHealth, hitRates } from "@hoard/cache";
import { withoutAddresses } from "../http/public-errors.js";
import type { Services } from "../services.js";
import { withTimeout } from "../timeout.js";
import type { StatsSample } from "./stats-series.js";

/** Which process(es) a stats answer describes, so the UI can label its figures. */
export type StatsScope = { kind: "instance"; instanceId: string } | { kind: "cluster"; instanceIds: string[]; unreachable: string[] };

/** Redis as the stats see it: `down` when the heartbeat read failed (the dashboard says so and keeps L1's numbers). */
export interface StatsRedis {
  state: "up" | "down" | "none";
  error: string | null;
}

/**
 * One instance's numbers per tier and namespace, every live instance's summary, and its last 5 minutes
 * second by second. Answers while Redis is down: L1, the breaker state and this instance alone, with `redis.state: "down"`.
 */
export async function localStats(services: Services) {
  const { cache, series, instance, heartbeat, redisMode, latency } = services;
  const snapshot = cache.stats();
  let redis: StatsRedis = { state: redisMode === "none" ? "none" : "up", error: null };
  const instances = await withTimeout(heartbeat.list(), 1_000, "Redis").catch((error: Error) => {
    redis = { state: "down", error: withoutAddresses(error.message) };
    return [heartbeat.self()];
  });
  return {
    scope: { kind: "instance", instanceId: instance.id } as StatsScope,
    instance: { ...instance, redisMode, dbLatencyMs: latency.ms },
    tiers: { l1: snapshot.l1, l2: snapshot.l2, bus: snapshot.bus },
    totals: snapshot.totals,
    hitRate: snapshot.hitRate,
    namespaces: snapshot.namespaces,
    inFlight: snapshot.inFlight,
    // Shared by the cluster (one Postgres table); null when Postgres did not answer.
    outbox: await services.outbox.state().catch(() => null),
    instances,
    redis,
    series: series.list(),
  };
}

export type Stats = Awaited<ReturnType<typeof localStats>>;

function sum<T extends object>(into: T, from: T): T {
  for (const [name, value] of Object.entries(from)) {
    const current = (into as Record<string, unknown>)[name];
    if (typeof value === "number" && typeof current === "number") (into as Record<string, number>)[name] = current + value;
  }
  return into;
}

/**
 * The cluster total: counters, entries and per-second series summed over the
 * instances that answered; latency percentiles are the worst instance's (they
 * cannot be summed); Redis, identity and the outbox (one table for the
 * cluster) are those of `self`, except the outbox's per-instance delivery counters, summed.
 */
export function mergeStats(self: Stats, others: Stats[], unreachable: string[]): Stats {
  const all = [self, ...others];
  const totals = { ...self.totals };
  for (const other of others) sum(totals, other.totals);
  const namespaces = new Map<string, Stats["namespaces"][number]>();
  for (const stats of all) {
    for (const ns of stats.namespaces) {
      const seen = namespaces.get(ns.name);
      if (!seen) {
        namespaces.set(ns.name, { ...ns, counters: { ...ns.counters }, latency: { ...ns.latency } });
        continue;
      }
      sum(seen.counters, ns.counters);
      for (const [operation, summary] of Object.entries(ns.latency) as [
        keyof typeof ns.latency,
        NonNullable<(typeof ns.latency)["get"]>,
      ][]) {
        const mine = seen.latency[operation];
        seen.latency[operation] = mine && mine.p99 >= summary.p99 ? mine : summary;
      }
    }
  }
  for (const ns of namespaces.values()) ns.hitRate = hitRates(ns.counters);
  const bySecond = new Map<number, StatsSample>();
  for (const stats of all) {
    for (const sample of stats.series) {
      const second = Math.round(sample.at / 1000);
      const seen = bySecond.get(second);
      if (seen) sum(seen, { ...sample, at: 0 });
      else bySecond.set(second, { ...sample, at: second * 1000 });
    }
  }
  const bus = all.reduce<BusHealth | null>((merged, stats) => {
    const health = stats.tiers.bus;
    if (!health) return merged;
    if (!merged) return { ...health };
    return { ...sum(merged, health), connected: merged.connected && health.connected };
  }, null);
  const l1 = { ...self.tiers.l1 };
  for (const other of others) {
    l1.entries += other.tiers.l1.entries;
    l1.bytes += other.tiers.l1.bytes;
    l1.maxEntries += other.tiers.l1.maxEntries;
    l1.maxBytes += other.tiers.l1.maxBytes;
  }
  const outbox = self.outbox && { ...self.outbox };
  if (outbox) {
    for (const other of others) {
      outbox.delivered += other.outbox?.delivered ?? 0;
      outbox.failedDeliveries += other.outbox?.failedDeliveries ?? 0;
      outbox.lastDrainAt = Math.max(outbox.lastDrainAt ?? 0, other.outbox?.lastDrainAt ?? 0) || null;
    }
  }
  return {
    ...self,
    outbox,
    scope: { kind: "cluster", instanceIds: all.map((stats) => stats.instance.id), unreachable },
    tiers: { l1, l2: self.tiers.l2, bus },
    totals,
    hitRate: hitRates(totals),
    namespaces: [...namespaces.values()],
    inFlight: all.reduce((total, stats) => total + stats.inFlight, 0),
    series: [...bySecond.values()].sort((a, b) => a.at - b.at),
  };
}
