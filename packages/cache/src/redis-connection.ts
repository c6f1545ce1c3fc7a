import { Cluster, Redis, type RedisOptions } from "ioredis";
import { ACQUIRE_LUA, FILL_LUA, RELEASE_LUA, WRITE_LUA } from "./redis-scripts.js";

/** A standalone client or a cluster client; the cache treats both alike. */
export type RedisClient = Redis | Cluster;

/** How to reach Redis: a URL, ioredis options, or a ready client (standalone or `Cluster`). */
export type RedisInput = string | RedisOptions | RedisClient;

/** The custom commands the cache defines on its clients. */
export interface HoardCommands {
  hoardAcquireBuffer(
    value: string,
    lease: string,
    lock: string,
    token: string,
    leaseTtlMs: number,
    lockTtlMs: number,
    wantLock: "1" | "0",
    nowMs: number,
  ): Promise<[number, Buffer | null]>;
  hoardFill(
    value: string,
    lease: string,
    lock: string,
    token: string,
    payload: Buffer,
    pxMs: number,
    channel: string,
    message: string,
  ): Promise<number>;
  hoardWrite(value: string, lease: string, payload: Buffer | "", pxMs: number, channel: string, message: string): Promise<number>;
  hoardRelease(lock: string, token: string, channel: string, message: string): Promise<number>;
}

export type ScriptedClient = RedisClient & HoardCommands;

/** A ready client: ioredis `Redis`, `Cluster`, or anything shaped like them (such as an ioredis-mock instance). */
export function isRedisClient(input: unknown): input is RedisClient {
  if (input instanceof Redis || input instanceof Cluster) return true;
  const candidate = input as { defineCommand?: unknown; getBuffer?: unknown; duplicate?: unknown };
  return (
    typeof candidate?.defineCommand === "function" && typeof candidate.getBuffer === "function" && typeof candidate.duplicate === "function"
  );
}

/** Connection settings the cache applies to clients it creates. */
export interface ConnectionSettings {
  commandTimeoutMs: number;
  autoPipelining: boolean;
}

/** Creates (or adopts) the client and defines the cache's Lua commands on it. */
export function connectRedis(input: RedisInput, settings: ConnectionSettings): { client: ScriptedClient; owned: boolean } {
  const shared: RedisOptions = {
    commandTimeout: settings.commandTimeoutMs,
    // Commands issued in the same tick share one write: many concurrent callers, few syscalls.
    enableAutoPipelining: settings.autoPipelining,
    maxRetriesPerRequest: 1,
    // Fail fast while disconnected: the cache falls through to the loader instead of queueing.
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  };
  let client: RedisClient;
  let owned = true;
  if (typeof input === "string") client = new Redis(input, shared);
  else if (isRedisClient(input)) {
    client = input;
    owned = false;
  } else client = new Redis({ ...shared, ...input });
  defineScripts(client);
  return { client: client as ScriptedClient, owned };
}

/** Defines the Lua commands (EVALSHA with EVAL fallback, handled by ioredis). */
export function defineScripts(client: RedisClient): void {
  const defined = client as RedisClient & { hoardFill?: unknown };
  if (defined.hoardFill) return;
  client.defineCommand("hoardAcquire", { numberOfKeys: 3, lua: ACQUIRE_LUA });
  client.defineCommand("hoardFill", { numberOfKeys: 3, lua: FILL_LUA });
  client.defineCommand("hoardWrite", { numberOfKeys: 2, lua: WRITE_LUA });
  client.defineCommand("hoardRelease", { numberOfKeys: 1, lua: RELEASE_LUA });
}
