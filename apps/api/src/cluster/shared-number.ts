import type { Cluster, Redis } from "ioredis";
import type { Logger } from "pino";
import type { AppRedis } from "../cache/redis-connection.js";

/** Sets `KEYS[1]` to `ARGV[2]` only while it holds `ARGV[1]` (or is unset and `ARGV[3]` is 1); returns 1 when it did. */
const COMPARE_AND_SET_LUA = `
local current = redis.call("GET", KEYS[1])
if current == ARGV[1] or (current == false and ARGV[3] == "1") then
  redis.call("SET", KEYS[1], ARGV[2])
  return 1
end
return 0`;

/**
 * A non-negative integer every instance of a cluster shares (the lab's
 * database latency, the demo's namespace version): stored in Redis under
 * `key` and published on `key` as a channel when it changes. Each instance
 * subscribes, and re-reads it on each heartbeat in case a message was lost.
 * Without Redis it is this process's alone. `onChange` runs on every change,
 * local or from another instance.
 */
export class SharedNumber {
  private current: number;
  private subscriber: AppRedis | undefined;

  constructor(
    /** The value until one is stored (and after `reset()`). */
    private readonly initial: number,
    private readonly redis: AppRedis | undefined,
    /** The Redis key and the pub/sub channel, e.g. `{prefix}:lab:db-latency-ms`. */
    readonly key: string,
    private readonly log: Logger,
    private readonly onChange: (value: number) => void = () => {},
  ) {
    this.current = initial;
  }

  get value(): number {
    return this.current;
  }

  /** Adopts the stored value if there is one, then listens for changes. */
  async start(): Promise<void> {
    if (!this.redis) return;
    await this.refresh();
    // SUBSCRIBE is queued until the new connection is up (the cache's own clients fail fast instead).
    const subscriber = this.redis.isCluster
      ? (this.redis as Cluster).duplicate(undefined, { enableOfflineQueue: true })
      : (this.redis as Redis).duplicate({ enableOfflineQueue: true });
    subscriber.on("error", (error: Error) => this.log.warn({ err: error, key: this.key }, "shared setting subscriber error"));
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.key) this.apply(message === "" ? this.initial : Number(message));
    });
    this.subscriber = subscriber;
    await subscriber.subscribe(this.key);
  }

  /** Re-reads the stored value (unset: `initial`). */
  async refresh(): Promise<void> {
    if (!this.redis) return;
    const stored = await this.redis.get(this.key).catch(() => undefined);
    if (stored !== undefined) this.apply(stored === null ? this.initial : Number(stored));
  }

  /** Sets the value for every instance. */
  async set(value: number): Promise<void> {
    this.apply(value);
    if (!this.redis) return;
    await this.redis.set(this.key, String(value));
    await this.redis.publish(this.key, String(value));
  }

  /** Sets `next` for every instance only if the cluster's value is `expected`; false (nothing changed) otherwise. */
  async compareAndSet(expected: number, next: number): Promise<boolean> {
    if (!this.redis) {
      if (this.current !== expected) return false;
      this.apply(next);
      return true;
    }
    const unsetMatches = expected === this.initial ? "1" : "0";
    const done = Number(await this.redis.eval(COMPARE_AND_SET_LUA, 1, this.key, String(expected), String(next), unsetMatches)) === 1;
    if (done) {
      this.apply(next);
      await this.redis.publish(this.key, String(next));
    } else await this.refresh();
    return done;
  }

  /** Back to `initial` for every instance (the stored value is deleted). */
  async reset(): Promise<void> {
    this.apply(this.initial);
    if (!this.redis) return;
    await this.redis.del(this.key);
    await this.redis.publish(this.key, "");
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private apply(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0 || value === this.current) return;
    this.current = value;
    this.onChange(value);
  }
}
