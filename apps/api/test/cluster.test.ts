import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, metric } from "./support/client.js";
import { expectEveryInstanceListed, expectWriteSeenEverywhere } from "./support/cluster-checks.js";
import { until } from "./support/poll.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { type ApiProcess, spawnApi, waitReady } from "./support/processes.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "./support/redis.js";

// Three API instances as separate OS processes on one database and one Redis prefix: one cluster.
let database: TestDatabase;
let instances: ApiProcess[] = [];
let clients: ReturnType<typeof client>[] = [];
const prefix = uniquePrefix("cluster");

beforeAll(async () => {
  database = await createTestDatabase();
  // All three start at once on an empty database: migrations must be applied exactly once.
  instances = await Promise.all([0, 1, 2].map(() => spawnApi({ databaseUrl: database.url, prefix })));
  await Promise.all(instances.map((instance) => waitReady(instance)));
  clients = instances.map((instance) => client(instance.url));
}, 90_000);

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await database?.drop();
  await dropPrefix(prefix);
});

describe("a cluster of three API processes", () => {
  it("applies the migrations once when three instances start at once", async () => {
    const applied = await database.query<{ count: string }>("SELECT count(*) FROM drizzle.__drizzle_migrations");
    expect(Number(applied.rows[0]?.count)).toBe(6);
    const triggers = await database.query(
      "SELECT tgname FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal ORDER BY tgname",
    );
    expect(triggers.rows.map((row) => row.tgname)).toEqual([
      "users_bump_version",
      "users_invalidate_cache",
      "users_invalidate_list",
      "users_touch_updated_at",
    ]);
  });

  it("list pages are cached, tagged users:list: a create, update or delete (or an INSERT from outside) shows on the next page read anywhere", async () => {
    const names = async (each: (typeof clients)[number]) =>
      (await each.user.list.query({ cursor: 0, limit: 100 })).items.map((user) => user.displayName);
    const [a, b] = clients as [(typeof clients)[number], (typeof clients)[number]];
    const first = await a.user.create.mutate({ username: "listed1", email: "listed1@example.com", displayName: "listed-1" });
    for (const each of clients) expect(await names(each)).toContain("listed-1"); // now cached on every instance
    // Every instance holds the page in L1 (once the heartbeats list all three).
    const cached = await until("all three instances listed", async () => {
      const entry = await a.cache.entry.query({ namespace: "user-list", id: "0:100" });
      return entry.l1Holders.length === 3 && entry;
    });
    expect(cached.tags).toEqual(["users:list"]);
    expect(cached.l1Holders.filter((holder) => holder.copy).length).toBe(3);
    const loadsBefore = await metric(instances[0]!.url, "hoard_cache_loads_total");
    await names(a);
    expect(await metric(instances[0]!.url, "hoard_cache_loads_total")).toBe(loadsBefore); // served from the cache

    const second = await b.user.create.mutate({ username: "listed2", email: "listed2@example.com", displayName: "listed-2" });
    for (const each of clients) expect(await names(each)).toContain("listed-2"); // the next read, no wait
    await a.user.update.mutate({ id: second.id, patch: { displayName: "listed-2b" } });
    for (const each of clients) expect(await names(each)).toContain("listed-2b");
    await b.user.delete.mutate({ id: first.id });
    for (const each of clients) expect(await names(each)).not.toContain("listed-1");

    // A write from outside the API: the statement trigger's outbox row, drained by an instance, invalidates the tag.
    await database.query("INSERT INTO users (username, email, display_name) VALUES ('outside', 'outside@example.com', 'from-outside')");
    for (const each of clients)
      await until("the outside insert on every instance's list", async () => (await names(each)).includes("from-outside"), 5_000);
  });

  it("a write is invalidated once (one Lua delete, one bus message), not 1 + N times, and its writer reads it back", async () => {
    const [a] = clients;
    const user = await a!.user.create.mutate({ username: "once", email: "once@example.com", displayName: "v0" });
    const key = `${prefix}:user:v1:{${user.id}}`;
    const subscriber = new Redis(REDIS_URL);
    let invalidations = 0;
    subscriber.on("message", (_channel: string, raw: string) => {
      const message = JSON.parse(raw) as { t: string; k: string[] };
      if (message.t === "inv" && message.k.includes(key)) invalidations++;
    });
    await subscriber.subscribe(`${prefix}:bus`);
    try {
      for (const each of clients) expect((await each.user.byId.query({ id: user.id }))?.displayName).toBe("v0");
      const deletesBefore = (await Promise.all(instances.map((each) => metric(each.url, "hoard_cache_deletes_total")))).reduce(
        (x, y) => x + y,
      );
      const writes = 15;
      let readOwnWrite = 0;
      for (let version = 1; version <= writes; version++) {
        const writer = clients[version % 3]!;
        await writer.user.update.mutate({ id: user.id, patch: { displayName: `v${version}` } });
        if ((await writer.user.byId.query({ id: user.id }))?.displayName === `v${version}`) readOwnWrite++;
      }
      const lastWriteAt = Date.now();
      // Every instance has drained (on NOTIFY or its periodic tick) since the last write: late deletes would be in.
      await until(
        "every instance to drain after the last write",
        async () => {
          const states = await Promise.all(
            instances.map(
              async (each) =>
                ((await (await fetch(`${each.url}/readyz`)).json()) as { outbox: { depth: number; lastDrainAt: number } | null }).outbox,
            ),
          );
          return states.every((state) => state && state.depth === 0 && state.lastDrainAt > lastWriteAt + 300);
        },
        5_000,
      );
      const deletes =
        (await Promise.all(instances.map((each) => metric(each.url, "hoard_cache_deletes_total")))).reduce((x, y) => x + y) - deletesBefore;
      console.log(
        `${writes} writes over 3 instances: ${deletes} cache deletes, ${invalidations} bus invalidations, ${readOwnWrite} read back at once by their writer`,
      );
      expect(readOwnWrite).toBe(writes);
      expect(deletes).toBe(writes);
      expect(invalidations).toBe(writes);
      for (const each of clients) expect((await each.user.byId.query({ id: user.id }))?.displayName).toBe(`v${writes}`);
    } finally {
      subscriber.disconnect();
    }
  });

  it("lists every live instance from the heartbeats", async () => {
    await expectEveryInstanceListed(clients, instances);
  });

  it("an API write on one instance invalidates the others within a second", async () => {
    await expectWriteSeenEverywhere(clients, "shared");
  });

  it("a direct SQL UPDATE leaves no stale profile on any instance after a second", async () => {
    const [a] = clients;
    const user = await a!.user.create.mutate({ username: "psql", email: "psql@example.com", displayName: "Before" });
    for (const each of clients) expect((await each.user.byId.query({ id: user.id }))?.displayName).toBe("Before");
    await database.query("UPDATE users SET display_name = 'From psql' WHERE id = $1", [user.id]);
    await Promise.all(
      clients.map((each) =>
        until(
          "every instance to serve the row changed in SQL",
          async () => (await each.user.byId.query({ id: user.id }))?.displayName === "From psql",
          1_000,
        ),
      ),
    );
  });

  it("lab.setDbLatency reaches every instance", async () => {
    const [, b] = clients;
    await b!.lab.setDbLatency.mutate({ ms: 400 });
    await until(
      "every heartbeat to report 400 ms",
      async () => {
        const list = await b!.instances.list.query();
        return list.length === 3 && list.every((instance) => instance.dbLatencyMs === 400);
      },
      5_000,
    );
  });

  it("lab.stampede spread over three processes: none loads per call, local once per process, distributed once", async () => {
    const [a] = clients;
    const user = await a!.user.create.mutate({ username: "hot", email: "hot@example.com", displayName: "Hot key" });
    const loads: Record<string, number> = {};
    for (const mode of ["none", "local", "distributed"] as const) {
      const result = await a!.lab.stampede.mutate({ id: user.id, concurrency: 300, mode, spread: true });
      loads[mode] = result.dbLoads;
      expect(result.instances).toHaveLength(3);
      expect(result.instances.every((instance) => instance.failure === undefined && instance.calls === 100)).toBe(true);
      expect(result.errors).toBe(0);
      expect(result.histogram.counts.reduce((sum, count) => sum + count, 0)).toBe(300);
      if (mode === "none") expect(result.dbLoads).toBeGreaterThan(30);
      if (mode === "local") {
        expect(result.dbLoads).toBe(3);
        expect(result.instances.map((instance) => instance.dbLoads)).toEqual([1, 1, 1]);
        expect(result.coalesced).toBe(297);
      }
      if (mode === "distributed") {
        expect(result.dbLoads).toBe(1);
        expect(result.lockWaits).toBeGreaterThanOrEqual(2);
        expect(result.lockTimeouts).toBe(0);
      }
    }
    console.log(`lab.stampede database loads, 300 calls over 3 processes: ${JSON.stringify(loads)}`);
  });
});
