import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import { InvalidOptionError } from "../errors.js";
import {
  ACQUIRE_LUA,
  DISCARD_LUA,
  EXPIRE_LUA,
  FILL_LUA,
  RELEASE_LUA,
  RENEW_LUA,
  TAG_BUMP_LUA,
  TAG_SEQUENCE_LUA,
  WRITE_LUA,
} from "./redis-scripts.js";

/** A standalone client or a cluster client; the cache treats both alike. */
export type RedisClient = Redis | Cluster;

/**
 * Redis Cluster seed nodes (`"host:port"` or `{ host, port }`); the cache builds the ioredis `Cluster`
 * with the same timeouts as a standalone client, plus any `clusterOptions`.
 */
export interface ClusterInput {
  cluster: ClusterNode[];
  clusterOptions?: ClusterOptions;
}

/** How to reach Redis: a URL, ioredis options, cluster seed nodes, or a ready client (standalone or `Cluster`). */
export type RedisInput = string | RedisOptions | ClusterInput | RedisClient;

/** The custom commands the cache defines on its clients. */
export interface HoardCommands {
  hoardAcquireBuffer(
    value: string,
    lease: string,
    lock: string,
    generation: string,
    token: string,
    leaseTtlMs: number,
    lockTtlMs: number,
    wantLock: "1" | "0",
    nowMs: number,
  ): Promise<[number, Buffer | null, number?]>;
  hoardRenew(lock: string, token: string, lockTtlMs: number): Promise<number>;
  hoardFill(
    value: string,
    lease: string,
    lock: string,
    generation: string,
    token: string,
    payload: Buffer,
    pxMs: number,
    channel: string,
    message: string,
  ): Promise<number>;
  hoardWrite(value: string, lease: string, payload: Buffer | "", pxMs: number, channel: string, message: string): Promise<number>;
  hoardRelease(lock: string, token: string, channel: string, message: string): Promise<number>;
  hoardTagBump(tag: string, kind: "inv" | "exp", seq: number): Promise<number>;
  hoardTagSequence(sequence: string): Promise<string>;
  hoardExpire(value: string, lease: string, now: string, channel: string, message: string): Promise<number>;
  hoardDiscard(value: string, bytes: Buffer): Promise<number>;
}

export type ScriptedClient = RedisClient & HoardCommands;

/**
 * A ready client: an ioredis `Redis` or `Cluster` of the ioredis the app shares with the cache (a
 * peer dependency, so one copy). A client of another copy is refused with a message saying so,
 * rather than half-working: its commands, errors and events are not the ones the cache knows.
 */
function isRedisClient(input: unknown): input is RedisClient {
  if (input instanceof Redis || input instanceof Cluster) return true;
  if (typeof (input as { sendCommand?: unknown } | null)?.sendCommand === "function")
    throw new InvalidOptionError(
      'The "redis" option is a client of another copy of ioredis than the one @hoard/cache loads; install ioredis once (it is a peer dependency) or pass a URL or options.',
    );
  return false;
}

/** Connection settings the cache applies to clients it creates. */
export interface ConnectionSettings {
  commandTimeoutMs: number;
  /** Batch concurrent reads: on a cluster through ioredis auto-pipelining (a single Redis batches GETs into MGETs in the L2 store instead). */
  batchReads: boolean;
}

/**
 * Creates (or adopts) the client and defines the cache's Lua commands on it.
 * `watchdog` is true for standalone clients the cache made: their command
 * timeout is enforced by the L2 store's stall watchdog (one timer for the
 * connection) instead of a timer per command.
 */
export function connectRedis(
  input: RedisInput,
  settings: ConnectionSettings,
): { client: ScriptedClient; owned: boolean; watchdog: boolean } {
  const perCommand: RedisOptions = { commandTimeout: settings.commandTimeoutMs };
  // Every command sent on a connection that closes must fail at that close, never be kept: the
  // cache then falls through to the loader (and the breaker counts the failure). ioredis keeps the
  // commands in flight at a close for a resend; with `autoResendUnfulfilledCommands: false` it then
  // drops them at the next ready without settling them, and it also drops commands sent before ready
  // when it opens the next connection. Only a flush at every close (`maxRetriesPerRequest: 0`: no
  // retry) rejects them first. With 1, a reset followed by a good reconnect left every command that
  // was in flight pending forever, and with it the single flight of its key. Set after the user's
  // options: they are what makes every command settle, not a preference.
  const settles: RedisOptions = {
    // A stalled connection is dropped by the watchdog; what was sent on it must fail, not be re-sent later.
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
  };
  const shared: RedisOptions = {
    maxRetriesPerRequest: 1,
    // Fail fast while disconnected: the cache falls through to the loader instead of queueing.
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  };
  let client: RedisClient;
  let owned = true;
  let watchdog = true;
  if (typeof input === "string") client = new Redis(input, { ...shared, ...settles });
  else if (isRedisClient(input)) {
    client = input;
    owned = false;
    watchdog = false;
  } else if ("cluster" in input) {
    watchdog = false;
    const { redisOptions, ...clusterOptions } = input.clusterOptions ?? {};
    const { retryStrategy, enableOfflineQueue, ...perNode } = shared;
    client = new Cluster(input.cluster.map(parseNode), {
      enableOfflineQueue,
      clusterRetryStrategy: retryStrategy,
      ...clusterOptions,
      // commandTimeout and auto-pipelining belong to each node connection; MOVED/ASK are followed by the cluster client.
      redisOptions: { ...perNode, ...perCommand, ...redisOptions },
      // Commands issued in the same tick share one write per node (an MGET may not span slots).
      enableAutoPipelining: settings.batchReads,
    });
  } else client = new Redis({ ...shared, ...input, ...settles });
  defineScripts(client);
  return { client: client as ScriptedClient, owned, watchdog };
}

/**
 * The bus's subscriber on a cluster: a plain connection to one node (a PUBLISH reaches every node),
 * not the Cluster's own subscriber, which silently re-subscribes on another node after a drop, so
 * the bus could never learn that messages were lost and flush L1. Placed on a master once the
 * cluster knows its nodes (`placed`), and on the next master at each reconnect (failover).
 */
export function clusterBusConnection(cluster: Cluster, options: RedisOptions): { subscriber: Redis; placed: Promise<void> } {
  const subscriber = new Redis({ ...cluster.options.redisOptions, ...options, lazyConnect: true });
  let attempt = 0;
  const place = () => {
    const masters = cluster.nodes("master");
    const node = masters[attempt++ % Math.max(1, masters.length)];
    if (node) Object.assign(subscriber.options, { host: node.options.host, port: node.options.port });
  };
  subscriber.on("reconnecting", place);
  const placed = cluster.status === "ready" ? Promise.resolve() : new Promise<void>((resolve) => cluster.once("ready", () => resolve()));
  return { subscriber, placed: placed.then(place) };
}

/** `"host:port"` strings become `{ host, port }` (ioredis reads a bare string as a URL or a port). */
function parseNode(node: ClusterNode): ClusterNode {
  if (typeof node !== "string" || node.includes("://")) return node;
  const at = node.lastIndexOf(":");
  return at > 0 ? { host: node.slice(0, at), port: Number(node.slice(at + 1)) } : node;
}

/** Defines the Lua commands (EVALSHA with EVAL fallback, handled by ioredis). */
export function defineScripts(client: RedisClient): void {
  const defined = client as RedisClient & { hoardFill?: unknown };
  if (defined.hoardFill) return;
  client.defineCommand("hoardAcquire", { numberOfKeys: 4, lua: ACQUIRE_LUA });
  client.defineCommand("hoardFill", { numberOfKeys: 4, lua: FILL_LUA });
  client.defineCommand("hoardWrite", { numberOfKeys: 2, lua: WRITE_LUA });
  client.defineCommand("hoardRelease", { numberOfKeys: 1, lua: RELEASE_LUA });
  client.defineCommand("hoardRenew", { numberOfKeys: 1, lua: RENEW_LUA });
  client.defineCommand("hoardTagBump", { numberOfKeys: 1, lua: TAG_BUMP_LUA });
  client.defineCommand("hoardTagSequence", { numberOfKeys: 1, lua: TAG_SEQUENCE_LUA });
  client.defineCommand("hoardExpire", { numberOfKeys: 2, lua: EXPIRE_LUA });
  client.defineCommand("hoardDiscard", { numberOfKeys: 1, lua: DISCARD_LUA });
}
