import { createCache } from "@hoard/cache";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { createCache as createCacheManager } from "cache-manager";
import { profile, REDIS_URL, RUN_PREFIX, scale } from "../fixtures.js";
import { formatNumber, interleave, nsPerOp, spread } from "../harness.js";
import type { RowReport } from "../report.js";

/** Row 1: an L1 hit through getOrSet, against the async floor, bentocache and cache-manager. */
export async function l1Hit(): Promise<RowReport> {
  const value = profile(1);
  const map = new Map([["user:1", value]]);
  const floor = async (key: string) => map.get(key);

  const hoard = createCache({ prefix: RUN_PREFIX, redis: REDIS_URL });
  await hoard.ready();
  const users = hoard.namespace<typeof value>("user", { ttlMs: 600_000 });
  const hoardLoader = async () => value;
  await users.getOrSet(1, hoardLoader);
  // The same hit with values shared rather than frozen (the default): freezing happens once, on the way into L1.
  const shared = hoard.namespace<typeof value>("user-shared", { ttlMs: 600_000, l1Values: "shared" });
  await shared.getOrSet(1, hoardLoader);

  const bento = new BentoCache({ default: "memory", stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })) } });
  const bentoFactory = async () => value;
  await bento.getOrSet({ key: "user:1", factory: bentoFactory, ttl: "10m" });

  const manager = createCacheManager({ ttl: 600_000 });
  const managerLoader = async () => value;
  await manager.wrap("user:1", managerLoader);

  const iterations = scale(300_000, 60_000);
  const results = await interleave(
    [
      { name: "async floor (await fn returning Map.get)", measure: () => nsPerOp(iterations, () => floor("user:1")) },
      { name: "hoard getOrSet (L1 hit)", measure: () => nsPerOp(iterations, () => users.getOrSet(1, hoardLoader)) },
      {
        name: "hoard getOrSet (L1 hit, l1Values: shared instead of frozen)",
        measure: () => nsPerOp(iterations, () => shared.getOrSet(1, hoardLoader)),
      },
      {
        name: "bentocache getOrSet (memory)",
        measure: () => nsPerOp(Math.ceil(iterations / 10), () => bento.getOrSet({ key: "user:1", factory: bentoFactory, ttl: "10m" })),
      },
      {
        name: "cache-manager wrap (memory)",
        measure: () => nsPerOp(Math.ceil(iterations / 4), () => manager.wrap("user:1", managerLoader)),
      },
    ],
    scale(9, 5),
  );
  await hoard.close();
  await bento.disconnectAll();
  await manager.disconnect();

  const [floorM, hoardM, sharedM, bentoM, managerM] = results as [
    (typeof results)[0],
    (typeof results)[0],
    (typeof results)[0],
    (typeof results)[0],
    (typeof results)[0],
  ];
  const vsFloor = hoardM.median / floorM.median;
  const vsManager = managerM.median / hoardM.median;
  return {
    id: 1,
    title: "L1 hit through getOrSet (ns/op)",
    table: [
      "| side | ns/op median (min–max) | vs async floor |",
      "|---|---|---|",
      ...results.map((m) => `| ${m.name} | ${spread(m)} | ${formatNumber(m.median / floorM.median, 2)}x |`),
    ],
    target: "<= 2x the async floor; >= 5x faster than cache-manager",
    result: `${formatNumber(vsFloor, 2)}x the floor; ${formatNumber(vsManager, 1)}x faster than cache-manager, ${formatNumber(bentoM.median / hoardM.median, 1)}x faster than bentocache; frozen values (the default) ${formatNumber(hoardM.median / sharedM.median, 2)}x shared ones`,
    met: vsFloor <= 2 && vsManager >= 5,
    bars: [
      { label: "L1 hit / async floor", ratio: vsFloor },
      { label: "cache-manager / hoard (L1 hit)", ratio: vsManager },
    ],
  };
}
