import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDatabaseClient, type DatabaseClient } from "../src/db/client.js";
import { migrateWithLock } from "../src/db/migrate.js";
import { InvalidationOutbox, type InvalidationTarget } from "../src/db/outbox.js";
import { until } from "./support/poll.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";

// The outbox against real Postgres: the trigger, coalescing, SKIP LOCKED sharing and the commit race.
// The targets stand in for the cache's delete (what Redis acknowledged is what they return).
const log = pino({ level: "silent" });
let database: TestDatabase;
let client: DatabaseClient;
const outboxes: InvalidationOutbox[] = [];

async function depth(): Promise<{ cache_id: string; changes: number }[]> {
  return (
    await database.query<{ cache_id: string; changes: number }>("SELECT cache_id, changes FROM cache_invalidation_outbox ORDER BY id")
  ).rows;
}

function outbox(target: InvalidationTarget, options = {}): InvalidationOutbox {
  const created = new InvalidationOutbox(client.pool, new Map([["user", target]]), log, {
    intervalMs: 60_000,
    writerGraceMs: 0,
    ...options,
  });
  outboxes.push(created);
  return created;
}

async function seed(count: number): Promise<number[]> {
  const { rows } = await database.query<{ id: number }>(
    "INSERT INTO users (username, email, display_name) SELECT 'u' || n, 'u' || n || '@example.com', 'v0' FROM generate_series(1, $1) AS n RETURNING id",
    [count],
  );
  // The insert queued the list tag's row (0004); these tests are about the users' own rows.
  await database.query("DELETE FROM cache_invalidation_outbox WHERE namespace = 'tag'");
  return rows.map((row) => row.id);
}

beforeAll(async () => {
  database = await createTestDatabase();
  client = createDatabaseClient(database.url, log, { max: 12 });
  await migrateWithLock(client.pool, log);
});

beforeEach(async () => {
  await Promise.all(outboxes.splice(0).map((each) => each.close()));
  await database.query("TRUNCATE users, cache_invalidation_outbox");
});

afterAll(async () => {
  await Promise.all(outboxes.map((each) => each.close()));
  await client?.close();
  await database?.drop();
});

describe("invalidation outbox", () => {
  it("the trigger writes one row per changed key in the change's transaction; changes of one key coalesce", async () => {
    const [a, b, c] = (await seed(3)) as [number, number, number];
    for (let i = 0; i < 50; i++) await database.query("UPDATE users SET bio = $1 WHERE id = $2", [`bio ${i}`, a]);
    await database.query("UPDATE users SET bio = 'x' WHERE id = ANY($1)", [[a, b]]);
    await database.query("DELETE FROM users WHERE id = $1", [c]);
    // A rolled-back change leaves no row.
    await database
      .query("DO $$ BEGIN UPDATE users SET bio = 'gone' WHERE id = (SELECT max(id) FROM users); RAISE EXCEPTION 'rollback'; END $$")
      .catch(() => {});
    expect(await depth()).toEqual([
      { cache_id: String(a), changes: 51 },
      { cache_id: String(b), changes: 1 },
      { cache_id: String(c), changes: 1 },
    ]);
  });

  it("inserts queue one coalesced row for the list tag per statement, delivered through the tag target", async () => {
    await database.query(
      "INSERT INTO users (username, email, display_name) SELECT 'i' || n, 'i' || n || '@e.com', 'v0' FROM generate_series(1, 50) AS n",
    );
    await database.query("INSERT INTO users (username, email, display_name) VALUES ('one', 'one@e.com', 'v0')");
    const rows = await database.query<{ namespace: string; cache_id: string; changes: number }>(
      "SELECT namespace, cache_id, changes FROM cache_invalidation_outbox",
    );
    expect(rows.rows).toEqual([{ namespace: "tag", cache_id: "users:list", changes: 2 }]);
    const tags: string[] = [];
    const drain = new InvalidationOutbox(
      client.pool,
      new Map<string, InvalidationTarget>([
        ["user", async () => true],
        [
          "tag",
          async (tag) => {
            tags.push(tag);
            return true;
          },
        ],
      ]),
      log,
      { intervalMs: 60_000, writerGraceMs: 0 },
    );
    outboxes.push(drain);
    await drain.drain();
    expect(tags).toEqual(["users:list"]);
    expect(await depth()).toEqual([]);
  });

  it("keeps every row Redis did not acknowledge, and delivers them once it does", async () => {
    const ids = await seed(20);
    await database.query("UPDATE users SET bio = 'changed'");
    let redisUp = false;
    const delivered: string[] = [];
    const drain = outbox(async (cacheId) => {
      if (!redisUp) return false;
      delivered.push(cacheId);
      return true;
    });
    await drain.drain();
    expect((await depth()).length).toBe(20);
    expect((await drain.state()).failedDeliveries).toBeGreaterThan(0);
    expect((await drain.state()).depth).toBe(20);
    redisUp = true;
    await drain.drain();
    expect(await depth()).toEqual([]);
    expect(delivered.sort()).toEqual(ids.map(String).sort());
  });

  it("three drainers racing over 600 rows deliver each exactly once (FOR UPDATE SKIP LOCKED)", async () => {
    await seed(600);
    await database.query("UPDATE users SET bio = 'changed'");
    const deliveries = new Map<string, number>();
    const target: InvalidationTarget = async (cacheId) => {
      deliveries.set(cacheId, (deliveries.get(cacheId) ?? 0) + 1);
      await new Promise((resolve) => setImmediate(resolve));
      return true;
    };
    const drains = [outbox(target, { batchSize: 50 }), outbox(target, { batchSize: 50 }), outbox(target, { batchSize: 50 })];
    await Promise.all(drains.map((each) => each.drain()));
    await until(
      "the outbox to be empty",
      async () => (await depth()).length === 0 || (await Promise.all(drains.map((d) => d.drain())), false),
    );
    expect(deliveries.size).toBe(600);
    expect([...deliveries.values()].every((count) => count === 1)).toBe(true);
    const shares = await Promise.all(drains.map(async (each) => (await each.state()).delivered));
    console.log(`600 rows, 3 drainers: delivered ${shares.join(" + ")}`);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBe(600);
  });

  it("a change that commits while its key is being delivered keeps a row of its own", async () => {
    const [id] = (await seed(1)) as [number];
    await database.query("UPDATE users SET bio = 'first' WHERE id = $1", [id]);
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inTarget = new Promise<void>((resolve) => (entered = resolve));
    const drain = outbox(async () => {
      entered();
      await new Promise<void>((resolve) => (release = resolve));
      return true;
    });
    const draining = drain.drain();
    await inTarget;
    // The delete is under way: this change commits after it, so the delete cannot cover it.
    const second = database.query("UPDATE users SET bio = 'second' WHERE id = $1", [id]);
    await until("the second write to wait on the delivery's lock", async () => {
      const { rows } = await database.query<{ waiting: number }>(
        "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
      );
      return rows[0]?.waiting === 1;
    });
    release();
    await Promise.all([draining, second]);
    expect(await depth()).toEqual([{ cache_id: String(id), changes: 1 }]);
  });

  it("settle delivers the writer's own row at once and removes it", async () => {
    const [id] = (await seed(1)) as [number];
    await database.query("UPDATE users SET bio = 'changed' WHERE id = $1", [id]);
    const delivered: string[] = [];
    const drain = outbox(async (cacheId) => (delivered.push(cacheId), true));
    expect(await drain.settle("user", String(id))).toBe(true);
    expect(delivered).toEqual([String(id)]);
    expect(await depth()).toEqual([]);
    const refused = outbox(async () => false);
    await database.query("UPDATE users SET bio = 'again' WHERE id = $1", [id]);
    expect(await refused.settle("user", String(id))).toBe(false);
    expect(await depth()).toEqual([{ cache_id: String(id), changes: 1 }]);
  });

  // Read-your-writes when the writer cannot take its row (another drainer holds it past the lock
  // timeout): the writer's own cache must still drop the key before the API answers. Before, settle
  // gave up without deleting anything, and the writing instance served the old value from its L1
  // (nemesis seed 221036891: v5 right after acknowledging v6).
  it("settle still deletes the key when another drainer holds the row past the lock timeout", async () => {
    const [id] = (await seed(1)) as [number];
    await database.query("UPDATE users SET bio = 'changed' WHERE id = $1", [id]);
    const holder = await client.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT id FROM cache_invalidation_outbox WHERE cache_id = $1 FOR UPDATE", [String(id)]);
      const delivered: string[] = [];
      const writer = outbox(
        async (cacheId) => {
          delivered.push(cacheId);
          return true;
        },
        { settleLockTimeoutMs: 100 },
      );
      expect(await writer.settle("user", String(id))).toBe(false);
      expect(delivered).toEqual([String(id)]);
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    // The row is still there for the drains.
    expect(await depth()).toEqual([{ cache_id: String(id), changes: 1 }]);
  });
});
