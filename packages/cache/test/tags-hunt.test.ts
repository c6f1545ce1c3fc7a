import { seededRandom as prng } from "@hoard/test-servers";
import { describe, expect, it } from "vitest";
import type { Cache } from "../src/index.js";
import { cacheSuite } from "./support/cache.js";

const IDS = 12;
const GROUPS = 3;
/** How stale a read on another instance may be, after an invalidation resolved (the chaos suite's bus budget). */
const BUS_BUDGET_MS = 1_000;

interface Row {
  id: number;
  version: number;
}

/**
 * Hunts for a pre-invalidation fill that lands: three caches (three instances,
 * each with its own connections and bus subscriber) run a random schedule of
 * tagged loads (slow loaders that read the row, then wait), writes followed by
 * invalidateTags, and expireTags. Checked: a read on the invalidating instance
 * that begins after its invalidateTags resolved never returns a version older
 * than the write (coalesced callers excepted: they joined a load begun before,
 * as with delete); on other instances, not after the bus budget; and at the end
 * every instance serves the last version of every row.
 */
describe("tag invalidation hunt", () => {
  const suite = cacheSuite("taghunt");

  it("a random schedule of loads, writes + invalidateTags and expireTags never serves pre-invalidation data", async () => {
    const seed = Number(process.env.HUNT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`tags hunt seed ${seed} (replay: HUNT_SEED=${seed} npx vitest run test/tags-hunt.test.ts)`);
    const random = prng(seed);
    const caches: Cache[] = [];
    for (let i = 0; i < 3; i++) caches.push(await suite.make({ defaults: { earlyRefreshBeta: 0 } }));
    const db = new Map<number, number>(Array.from({ length: IDS }, (_, id) => [id, 0]));
    const tagsOf = (id: number) => [`g${id % GROUPS}`, "all"];
    /** Per cache, per id: the highest version written before an invalidation by that cache resolved, and when. */
    const floors = caches.map(() => new Map<number, { version: number; at: number }>());
    const violations: string[] = [];
    let reads = 0;
    let invalidations = 0;
    let expiries = 0;

    const read = async (c: number, id: number) => {
      const startedAt = performance.now();
      const floorHere = floors[c]?.get(id);
      const floorsElsewhere = floors.map((each) => each.get(id));
      const delay = Math.floor(random() * 15);
      const result = await (caches[c] as Cache).namespace<Row>("row").getOrSetDetailed(
        id,
        async () => {
          const version = db.get(id) as number;
          await new Promise((resolve) => setTimeout(resolve, delay));
          return { id, version };
        },
        { tags: tagsOf(id), protection: random() < 0.5 ? "distributed" : "local" },
      );
      reads++;
      const version = result.value?.version ?? -1;
      if (result.source !== "coalesced" && floorHere && version < floorHere.version)
        violations.push(`cache ${c} read id ${id} v${version} (${result.source}) after its own invalidation of v${floorHere.version}`);
      floorsElsewhere.forEach((floor, other) => {
        if (other === c || !floor || result.source === "coalesced") return;
        if (startedAt - floor.at > BUS_BUDGET_MS && version < floor.version)
          violations.push(
            `cache ${c} read id ${id} v${version} ${Math.round(startedAt - floor.at)} ms after cache ${other} invalidated v${floor.version}`,
          );
      });
    };

    const write = async (c: number) => {
      const all = random() < 0.2;
      const group = Math.floor(random() * GROUPS);
      const ids = [...db.keys()].filter((id) => all || id % GROUPS === group);
      for (const id of ids) db.set(id, (db.get(id) as number) + 1); // the database first
      const written = new Map(ids.map((id) => [id, db.get(id) as number]));
      await (caches[c] as Cache).invalidateTags([all ? "all" : `g${group}`]);
      invalidations++;
      const at = performance.now();
      const floor = floors[c] as Map<number, { version: number; at: number }>;
      for (const [id, version] of written) {
        const held = floor.get(id);
        if (!held || held.version < version) floor.set(id, { version, at });
      }
    };

    const loop = async (until: number) => {
      while (performance.now() < until) {
        const c = Math.floor(random() * caches.length);
        const roll = random();
        if (roll < 0.72) await read(c, Math.floor(random() * IDS));
        else if (roll < 0.94) await write(c);
        else {
          await (caches[c] as Cache).expireTags([`g${Math.floor(random() * GROUPS)}`]);
          expiries++;
        }
        if (random() < 0.3) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 5)));
      }
    };
    const until = performance.now() + 2_500;
    await Promise.all(Array.from({ length: 8 }, () => loop(until)));
    console.log(`tags hunt seed ${seed}: ${reads} reads, ${invalidations} invalidations, ${expiries} expiries`);
    expect(violations.slice(0, 10)).toEqual([]);

    // Quiet now: wait for background refreshes, then every instance serves the last version of every row.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const [c, cache] of caches.entries()) {
      for (const [id, version] of db) {
        const got = await cache
          .namespace<Row>("row")
          .getOrSetDetailed(id, () => ({ id, version: db.get(id) as number }), { tags: tagsOf(id) });
        if (got.value?.version !== version && got.source !== "stale")
          violations.push(`end: cache ${c} id ${id} v${got.value?.version} (${got.source}), last written v${version}`);
      }
    }
    expect(violations.slice(0, 10)).toEqual([]);
    expect(reads).toBeGreaterThan(200);
    expect(invalidations).toBeGreaterThan(20);
  });
});
