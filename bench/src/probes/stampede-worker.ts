/**
 * One process of the cross-process stampede benchmark: on "go", fires
 * `concurrency` concurrent reads of one cold key through Hoard (in the given
 * mode) or bentocache, with a loader that takes `loaderMs`, and reports its
 * loader calls and each caller's latency.
 */

import { createCache, type Protection } from "@hoard/cache";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { redisBusDriver, redisDriver } from "bentocache/drivers/redis";
import { Redis } from "ioredis";

interface Go {
  side: "hoard" | "bentocache";
  mode: Protection;
  key: string;
  prefix: string;
  redisUrl: string;
  concurrency: number;
  loaderMs: number;
}

let loads = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

process.once("message", async (setup: Go) => {
  const loader = async () => {
    loads++;
    await sleep(setup.loaderMs);
    return { value: "loaded", pid: process.pid };
  };
  let read: () => Promise<unknown>;
  let warmRead: (key: string) => Promise<unknown>;
  let close: () => Promise<void>;
  if (setup.side === "hoard") {
    const cache = createCache({ prefix: setup.prefix, redis: setup.redisUrl, logger: { warn() {} } });
    await cache.ready();
    const ns = cache.namespace<{ value: string; pid: number }>("stampede", { protection: setup.mode, ttlMs: 60_000 });
    read = () => ns.getOrSet(setup.key, loader);
    warmRead = (key) => ns.getOrSet(key, async () => ({ value: "warm", pid: process.pid }));
    close = () => cache.close();
  } else {
    const connection = new Redis(setup.redisUrl);
    const bento = new BentoCache({
      default: "tiered",
      prefix: setup.prefix,
      stores: {
        tiered: bentostore()
          .useL1Layer(memoryDriver({ maxItems: 10_000 }))
          .useL2Layer(redisDriver({ connection }))
          .useBus(redisBusDriver({ connection: { host: "127.0.0.1", port: Number(new URL(setup.redisUrl).port || 6379) } })),
      },
    });
    read = () => bento.getOrSet({ key: setup.key, factory: loader, ttl: "1m" });
    warmRead = (key) => bento.getOrSet({ key, factory: async () => ({ value: "warm", pid: process.pid }), ttl: "1m" });
    close = async () => {
      await bento.disconnectAll();
      connection.disconnect();
    };
  }
  // Warm up like a server that has been running: the miss, fill and hit paths are compiled
  // (and the Lua scripts loaded) before the stampede, for every side alike.
  for (let i = 0; i < 200; i++) await warmRead(`${setup.key}-warm-${process.pid}-${i % 20}`);
  process.send?.({ ready: true });
  process.once("message", async () => {
    const started = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: setup.concurrency }, async () => {
        await read();
        return performance.now() - started;
      }),
    );
    process.send?.({ loads, latencies });
    await close();
    process.exit(0);
  });
});
