import { seededRandom } from "@hoard/test-servers";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "./support/client.js";
import { until } from "./support/poll.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { type ApiProcess, spawnApi, waitReady } from "./support/processes.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "./support/redis.js";

// Three API processes with PROFILE_WRITE_POLICY=write-through on one database and one Redis prefix.
let database: TestDatabase;
let instances: ApiProcess[] = [];
let clients: ReturnType<typeof client>[] = [];
let redis: Redis;
const prefix = uniquePrefix("wthru");

beforeAll(async () => {
  database = await createTestDatabase();
  instances = await Promise.all(
    [0, 1, 2].map(() => spawnApi({ databaseUrl: database.url, prefix, env: { PROFILE_WRITE_POLICY: "write-through" } })),
  );
  await Promise.all(instances.map((instance) => waitReady(instance)));
  clients = instances.map((instance) => client(instance.url));
  redis = new Redis(REDIS_URL);
}, 90_000);

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await redis?.quit();
  await database?.drop();
  await dropPrefix(prefix);
});

/** The row as Postgres holds it now. */
async function newestRow(id: number): Promise<{ displayName: string; version: number }> {
  const { rows } = await database.query<{ display_name: string; version: string }>(
    "SELECT display_name, version FROM users WHERE id = $1",
    [id],
  );
  return { displayName: rows[0]?.display_name as string, version: Number(rows[0]?.version) };
}

/** Polls until every instance serves `displayName` for `id` (the bus has a budget of about a second). */
async function everyInstanceOn(id: number, displayName: string, what: string): Promise<void> {
  for (const [index, each] of clients.entries())
    await until(
      `${what}: instance ${index} on ${displayName}`,
      async () => (await each.inspect.lookup.query({ id })).user?.displayName === displayName,
    );
}

describe("write-through across three API processes", () => {
  it("after an edit on one instance, the next lookup on every instance comes from the cache and shows the edit", async () => {
    const [a, b] = clients as [(typeof clients)[number], (typeof clients)[number]];
    const user = await a.user.create.mutate({ username: "wt1", email: "wt1@example.com", displayName: "before" });
    for (const each of clients) await each.inspect.lookup.query({ id: user.id }); // warm every L1
    await b.user.update.mutate({ id: user.id, patch: { displayName: "after" } });
    const writer = await b.inspect.lookup.query({ id: user.id });
    expect(writer).toMatchObject({ source: "l1", writePolicy: "write-through", user: { displayName: "after" } });
    await everyInstanceOn(user.id, "after", "the edit");
    for (const each of clients) expect(["l1", "l2"]).toContain((await each.inspect.lookup.query({ id: user.id })).source);
    expect(await redis.get(`${prefix}:user:fence:v1:{${user.id}}`)).toBe(String((await newestRow(user.id)).version));
  });

  it("60 concurrent updates of one user from 3 instances: every instance ends on the newest row", async () => {
    const [a] = clients as [(typeof clients)[number]];
    const user = await a.user.create.mutate({ username: "wt2", email: "wt2@example.com", displayName: "start" });
    for (const each of clients) await each.inspect.lookup.query({ id: user.id });
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (clients[i % 3] as (typeof clients)[number]).user.update.mutate({ id: user.id, patch: { displayName: `w${i}` } }),
      ),
    );
    const newest = await newestRow(user.id);
    expect(newest.version).toBe(61);
    await everyInstanceOn(user.id, newest.displayName, "after 60 concurrent updates");
    // Redis holds the newest row or nothing (a refused set falls back to a delete), never an older one.
    const stored = await redis.get(`${prefix}:user:v1:{${user.id}}`);
    if (stored !== null) expect(stored).toContain(`"displayName":"${newest.displayName}"`);
    expect(await redis.get(`${prefix}:user:fence:v1:{${user.id}}`)).toBe("61");
  });

  it("hunt: random interleavings of updates and reads on random instances, several rounds (seed printed)", async () => {
    const seed = Number(process.env.HUNT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(
      `write-through cluster hunt seed ${seed} (replay: HUNT_SEED=${seed} npx vitest run --project api test/write-through-cluster.test.ts)`,
    );
    const random = seededRandom(seed);
    const pick = () => clients[Math.floor(random() * clients.length)] as (typeof clients)[number];
    const [a] = clients as [(typeof clients)[number]];
    for (let round = 0; round < 4; round++) {
      const user = await a.user.create.mutate({ username: `wth${round}`, email: `wth${round}@example.com`, displayName: "start" });
      const calls = Array.from({ length: 30 }, (_, i) => ({ write: random() < 0.6, delayMs: Math.floor(random() * 40), on: pick(), i }));
      await Promise.all(
        calls.map(async (call) => {
          await new Promise((resolve) => setTimeout(resolve, call.delayMs));
          if (call.write) await call.on.user.update.mutate({ id: user.id, patch: { displayName: `r${round}-${call.i}` } });
          else await call.on.inspect.lookup.query({ id: user.id });
        }),
      );
      const newest = await newestRow(user.id);
      await everyInstanceOn(user.id, newest.displayName, `seed ${seed} round ${round}`);
    }
  });
});
