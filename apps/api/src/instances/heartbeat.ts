import type { Logger } from "pino";
import { z } from "zod";
import type { AppRedis } from "../cache/redis-connection.js";

/** What each instance publishes about itself. */
export interface InstanceInfo {
  id: string;
  url: string;
  port: number;
  pid: number;
  startedAt: number;
  lastSeenAt: number;
  dbLatencyMs: number;
  /** The version each cache namespace runs at on this instance. */
  namespaceVersions: Record<string, number>;
  redisMode: string;
  /** A compact summary of the instance's cache numbers, for cluster views. */
  summary: Record<string, number>;
  /** HMAC of `id` and `url` under the admin token (see `identityText`): proves the entry was written by a cluster member. */
  signature?: string;
}

/** A heartbeat as read back from Redis: anything else there (garbage, another shape) is skipped, never a 500. */
const instanceInfoSchema = z.object({
  id: z.string().min(1).max(128),
  url: z.string().max(2_048),
  port: z.number().int().min(0).max(65_535),
  pid: z.number().int(),
  startedAt: z.number(),
  lastSeenAt: z.number(),
  dbLatencyMs: z.number(),
  namespaceVersions: z.record(z.string(), z.number().int()).default({}),
  redisMode: z.string().max(64),
  summary: z.record(z.string(), z.number()),
  signature: z.string().max(128).optional(),
});

/** A heartbeat value parsed and checked; undefined when it is not one. */
export function parseInstanceInfo(text: string): InstanceInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = instanceInfoSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** What an instance signs about itself. */
export function identityText(info: Pick<InstanceInfo, "id" | "url">): string {
  return `${info.id}\n${info.url}`;
}

const INTERVAL_MS = 1_000;
/** A heartbeat older than this is a dead instance. */
const TTL_MS = 5_000;

/**
 * Heartbeats in Redis: `{prefix}:instance:{id}` holds the JSON above with a
 * 5 s TTL, refreshed every second; `{prefix}:instances` is the set of ids, so
 * listing reads the set and GETs each id (no SCAN), and prunes ids whose key expired.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly setKey: string;

  constructor(
    private readonly redis: AppRedis | undefined,
    private readonly prefix: string,
    private readonly describe: () => Omit<InstanceInfo, "lastSeenAt">,
    private readonly onBeat: () => Promise<void>,
    private readonly log: Logger,
    /** Signs `identityText`; an entry without a valid signature is never sent the admin token. */
    private readonly sign: (text: string) => string = () => "",
  ) {
    this.setKey = `${prefix}:instances`;
  }

  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), INTERVAL_MS);
    this.timer.unref();
  }

  /** This instance's own entry, as it would publish it now (for views that cannot read Redis). */
  self(): InstanceInfo {
    return { ...this.describe(), lastSeenAt: Date.now() };
  }

  /** Live instances, oldest first; entries that are not valid heartbeats are skipped (and logged). */
  async list(): Promise<InstanceInfo[]> {
    if (!this.redis) return [this.self()];
    return liveInstances(this.redis, this.prefix, this.log);
  }

  /** Stops beating and removes this instance at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (!this.redis) return;
    const { id } = this.describe();
    await Promise.all([this.redis.del(this.keyOf(id)), this.redis.srem(this.setKey, id)]).catch(() => {});
  }

  private async beat(): Promise<void> {
    if (!this.redis) return;
    const described = this.describe();
    const info: InstanceInfo = { ...described, lastSeenAt: Date.now(), signature: this.sign(identityText(described)) };
    try {
      await this.redis.set(this.keyOf(info.id), JSON.stringify(info), "PX", TTL_MS);
      await this.redis.sadd(this.setKey, info.id);
      await this.onBeat();
    } catch (error) {
      this.log.warn({ err: error }, "heartbeat failed");
    }
  }

  private keyOf(id: string): string {
    return instanceKey(this.prefix, id);
  }
}

function instanceKey(prefix: string, id: string): string {
  return `${prefix}:instance:${id}`;
}

/**
 * The instances of the cluster under `prefix` whose heartbeat has not expired, oldest first (prunes
 * the expired ids); entries that are not valid heartbeats are skipped (and logged).
 */
export async function liveInstances(redis: AppRedis, prefix: string, log?: Logger): Promise<InstanceInfo[]> {
  const setKey = `${prefix}:instances`;
  const ids = await redis.smembers(setKey);
  if (ids.length === 0) return [];
  // One GET per id, not MGET: on a Redis Cluster the heartbeat keys live in different slots.
  const values = await Promise.all(ids.map((id) => redis.get(instanceKey(prefix, id))));
  const dead = ids.filter((_, i) => !values[i]);
  if (dead.length > 0) await redis.srem(setKey, ...dead);
  const parsed: InstanceInfo[] = [];
  values.forEach((value, i) => {
    if (typeof value !== "string") return;
    const info = parseInstanceInfo(value);
    if (info) parsed.push(info);
    else log?.warn({ key: instanceKey(prefix, ids[i] as string) }, "heartbeat entry is not a heartbeat: skipped");
  });
  return parsed.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
}
