import { setTimeout as sleep } from "node:timers/promises";
import type { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import type { AppRedis } from "../cache/redis-connection.js";

/**
 * The artificial database latency of the lab, shared by every instance of a
 * cluster: `set()` stores it in Redis and publishes it; each instance
 * subscribes, and also re-reads it on each heartbeat in case a message was lost.
 */
export class DbLatency {
  private current: number;
  private subscriber: AppRedis | undefined;
  private readonly key: string;
  private readonly channel: string;

  constructor(
    initialMs: number,
    private readonly redis: AppRedis | undefined,
    prefix: string,
    private readonly log: Logger,
  ) {
    this.current = initialMs;
    this.key = `${prefix}:lab:db-latency-ms`;
    this.channel = `${prefix}:lab:db-latency`;
  }

  /** The delay now applied after each load's query, in ms. */
  get ms(): number {
    return this.current;
  }

  /** Adopts the cluster's value if one is stored, then listens for changes. */
  async start(): Promise<void> {
    if (!this.redis) return;
    await this.refresh();
    // SUBSCRIBE is queued until the new connection is up (the cache's own clients fail fast instead).
    const subscriber = this.redis.isCluster
      ? (this.redis as Cluster).duplicate(undefined, { enableOfflineQueue: true })
      : (this.redis as Redis).duplicate({ enableOfflineQueue: true });
    subscriber.on("error", (error: Error) => this.log.warn({ err: error }, "db latency subscriber error"));
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.channel) this.apply(Number(message));
    });
    this.subscriber = subscriber;
    await subscriber.subscribe(this.channel);
  }

  /** Re-reads the stored value (called on each heartbeat). */
  async refresh(): Promise<void> {
    const stored = await this.redis?.get(this.key).catch(() => null);
    if (stored !== null && stored !== undefined) this.apply(Number(stored));
  }

  /** Sets the latency for every instance of the cluster. */
  async set(ms: number): Promise<void> {
    this.apply(ms);
    if (!this.redis) return;
    await this.redis.set(this.key, String(ms));
    await this.redis.publish(this.channel, String(ms));
  }

  /** Waits the current latency (abortable by the loader's signal). */
  async delay(signal?: AbortSignal): Promise<void> {
    if (this.current > 0) await sleep(this.current, undefined, { signal });
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private apply(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0) return;
    if (ms !== this.current) this.log.info({ dbLatencyMs: ms }, "db latency changed");
    this.current = ms;
  }
}
