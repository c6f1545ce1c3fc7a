/**
 * A child process holding one cache, driven by its parent test over IPC.
 * The "database" is a plain Redis key per id (`{prefix}:db:{id}`), so a test
 * can change a row from outside and see what each process serves.
 */
import { Cluster, Redis } from "ioredis";
import { cacheInternals } from "../../src/cache.js";
import { type Cache, type CacheOptions, createCache, type Namespace, type Protection } from "../../src/index.js";

interface Request {
  id: number;
  op: string;
  args: Record<string, unknown>;
}

let cache: Cache;
let db: Redis;
let prefix = "";
let loads = 0;
const gates = new Map<string, () => void>();
const pending = new Map<string, Promise<unknown>>();

function ns(name = "item", options: object = {}): Namespace<{ id: string; row: string | null; pid: number }> {
  return cache.namespace(name, options);
}

/** Reads the row, then waits `delayMs` (or for the parent's `release` when `gate` is set). */
function loader(delayMs: number, gate?: string, announce = false) {
  return async ({ id }: { id: string | number }) => {
    loads++;
    if (announce) process.send?.({ event: "loading", id: String(id) });
    const row = await db.get(`${prefix}:db:${id}`);
    if (gate) {
      process.send?.({ event: "loader-read", gate, row });
      await new Promise<void>((resolve) => gates.set(gate, resolve));
    } else if (delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    return { id: String(id), row, pid: process.pid };
  };
}

const ops: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
  async init(args) {
    prefix = args.prefix as string;
    const target = args.redis as string | { cluster: string[] };
    // The "database" lives on the same Redis (or cluster) as the cache.
    db =
      typeof target === "string"
        ? new Redis(target)
        : (new Cluster(target.cluster.map((node) => ({ host: node.split(":")[0], port: Number(node.split(":")[1]) }))) as unknown as Redis);
    cache = createCache({ prefix, redis: target, logger: { warn() {} }, ...(args.options as CacheOptions) });
    await cache.ready();
    return { pid: process.pid };
  },
  /** `concurrency` simultaneous getOrSet calls on one key; returns per-call latency. */
  async burst(args) {
    const before = loads;
    const load = loader(args.loaderMs as number, undefined, args.announce === true);
    const started = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: args.concurrency as number }, async () => {
        await ns().getOrSet(args.key as string, load, { protection: args.protection as Protection });
        return performance.now() - started;
      }),
    );
    return { loads: loads - before, latencies, counters: cache.stats().totals };
  },
  /** Starts a getOrSet whose loader never returns (this process is then killed). */
  async hang(args) {
    ns()
      .getOrSet(args.key as string, async () => {
        loads++;
        process.send?.({ event: "hanging" });
        await new Promise(() => {});
        return null;
      })
      .catch(() => {});
    return { started: true };
  },
  /** getOrSet whose loader stops after reading the row until `release`; the result is fetched with `result`. */
  async startGated(args) {
    const gate = args.gate as string;
    pending.set(gate, ns().getOrSet(args.key as string, loader(0, gate), { protection: args.protection as Protection }));
    return { started: true };
  },
  /**
   * getOrSetMany over `ids` (distributed protection unless told): the batch loader waits `loaderMs`, or
   * never returns with `hang`; `announce` reports each loader call. Returns the ids this process loaded.
   */
  async batch(args) {
    const loaded: string[] = [];
    const values = await ns().getOrSetMany(
      args.ids as number[],
      async (ids) => {
        loaded.push(...ids.map(String));
        loads += ids.length;
        if (args.announce === true) process.send?.({ event: "batch-loading", ids: ids.map(String) });
        if (args.hang === true) await new Promise(() => {});
        await new Promise((resolve) => setTimeout(resolve, (args.loaderMs as number) ?? 0));
        return ids.map((id) => ({ id: String(id), row: `row ${id}`, pid: process.pid }));
      },
      { protection: (args.protection as Protection) ?? "distributed" },
    );
    return { loaded, rows: values.map((value) => value?.row ?? null), counters: cache.stats().totals };
  },
  async release(args) {
    gates.get(args.gate as string)?.();
    return { released: true };
  },
  async result(args) {
    return pending.get(args.gate as string);
  },
  async read(args) {
    return ns().getOrSet(args.key as string, loader(0), { protection: args.protection as Protection });
  },
  async write(args) {
    await db.set(`${prefix}:db:${args.key}`, args.row as string);
    await ns().delete(args.key as string);
    return { written: true };
  },
  async set(args) {
    await ns().set(args.key as string, { id: String(args.key), row: args.row as string, pid: process.pid });
    return { set: true };
  },
  /** An ordered set (`{ version }`); returns the VersionedSetResult. */
  async setVersioned(args) {
    return ns().set(
      args.key as string,
      { id: String(args.key), row: args.row as string, pid: process.pid },
      { version: args.version as number },
    );
  },
  /** getOrSetDetailed with tags (and an optional loader delay); says where the answer came from. */
  async readTagged(args) {
    const before = loads;
    const result = await ns((args.ns as string) ?? "item").getOrSetDetailed(args.key as string, loader((args.loaderMs as number) ?? 0), {
      tags: args.tags as string[],
    });
    return { row: result.value?.row ?? null, source: result.source, loads: loads - before };
  },
  /** Like startGated, for a tagged entry. */
  async startGatedTagged(args) {
    const gate = args.gate as string;
    pending.set(gate, ns((args.ns as string) ?? "item").getOrSet(args.key as string, loader(0, gate), { tags: args.tags as string[] }));
    return { started: true };
  },
  /** Like startGatedTagged, but the loader tags the entry with ctx.setTags once the parent releases it. */
  async startGatedLateTags(args) {
    const gate = args.gate as string;
    const read = loader(0, gate);
    pending.set(
      gate,
      ns((args.ns as string) ?? "item").getOrSet(args.key as string, async (ctx) => {
        const value = await read(ctx);
        ctx.setTags(args.tags as string[]);
        return value;
      }),
    );
    return { started: true };
  },
  async writeRow(args) {
    await db.set(`${prefix}:db:${args.key}`, args.row as string);
    return { written: true };
  },
  async invalidateTags(args) {
    return cache.invalidateTags(args.tags as string[]);
  },
  async expireTags(args) {
    return cache.expireTags(args.tags as string[]);
  },
  async expire(args) {
    return ns((args.ns as string) ?? "item").expire(args.key as string);
  },
  async l1KeysOf(args) {
    return (await ns(args.ns as string).inspect({ tier: "l1", limit: 1000 })).entries.map((entry) => entry.id);
  },
  async l1Keys() {
    return (await ns().inspect({ tier: "l1", limit: 1000 })).entries.map((entry) => entry.id);
  },
  async stats() {
    return { totals: cache.stats().totals, bus: cache.stats().bus, loads };
  },
  async busClientName() {
    return cacheInternals(cache).busConnectionName;
  },
};

process.on("message", async (request: Request) => {
  try {
    const value = await ops[request.op]?.(request.args);
    process.send?.({ id: request.id, ok: true, value });
  } catch (error) {
    process.send?.({ id: request.id, ok: false, error: (error as Error).message });
  }
});
process.send?.({ event: "ready" });
