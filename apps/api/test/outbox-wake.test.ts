import type pg from "pg";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseClient, type DatabaseClient } from "../src/db/client.js";
import { migrateWithLock } from "../src/db/migrate.js";
import { NotifyListener } from "../src/db/notify-listener.js";
import { InvalidationOutbox } from "../src/db/outbox.js";
import { until } from "./support/poll.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";

// The outbox's NOTIFY wake against real Postgres: an instance wakes for rows nobody settles and
// skips the drain when the writer settled every row it was woken for (the drain would find nothing).
const log = pino({ level: "silent" });
const WAKE_DELAY_MS = 50;
let database: TestDatabase;
let client: DatabaseClient;
const cleanups: (() => Promise<void>)[] = [];

/** An instance's outbox with its listener wired as start.ts wires them; `transactions` counts its drain transactions. */
async function instance(delivered: string[]) {
  const counter = { transactions: 0 };
  // Each drain (and settle) checks out one pooled client for its one transaction.
  const pool = new Proxy(client.pool, {
    get: (target, property) =>
      property === "connect"
        ? () => {
            counter.transactions++;
            return target.connect();
          }
        : Reflect.get(target, property, target),
  }) as pg.Pool;
  const deliver = async (cacheId: string) => {
    delivered.push(cacheId);
    return true;
  };
  const outbox = new InvalidationOutbox(pool, new Map([["user", deliver]]), log, {
    intervalMs: 60_000,
    writerGraceMs: 0,
    wakeDelayMs: WAKE_DELAY_MS,
  });
  const listener = new NotifyListener(
    database.url,
    {
      onChange: (namespace, cacheId) => outbox.wake(namespace, cacheId),
      onSettled: (namespace, cacheId) => outbox.settled(namespace, cacheId),
      onReconnect: () => void outbox.drain(),
    },
    log,
  );
  await listener.start();
  cleanups.push(async () => {
    await listener.close();
    await outbox.close();
  });
  return { outbox, listener, counter };
}

async function seedUser(name: string): Promise<number> {
  const { rows } = await database.query<{ id: number }>(
    "INSERT INTO users (username, email, display_name) VALUES ($1, $2, 'v0') RETURNING id",
    [name, `${name}@example.com`],
  );
  await database.query("DELETE FROM cache_invalidation_outbox WHERE namespace = 'tag'");
  return rows[0]?.id as number;
}

beforeAll(async () => {
  database = await createTestDatabase();
  client = createDatabaseClient(database.url, log, { max: 6 });
  await migrateWithLock(client.pool, log);
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await database.query("TRUNCATE users, cache_invalidation_outbox");
});

afterAll(async () => {
  await client?.close();
  await database?.drop();
});

describe("outbox wake", () => {
  it("a change its writer settled wakes no drain in any instance; a change nobody settles still does", async () => {
    const settledId = await seedUser("settled");
    const unsettledId = await seedUser("unsettled");
    const writerDelivered: string[] = [];
    const otherDelivered: string[] = [];
    const writer = await instance(writerDelivered);
    const other = await instance(otherDelivered);

    await database.query("UPDATE users SET bio = 'changed' WHERE id = $1", [settledId]);
    expect(await writer.outbox.settle("user", String(settledId))).toBe(true);
    const writerSettles = writer.counter.transactions;
    // Both NOTIFYs (the change's, then the settle's) have reached both listeners once the settle's has.
    await until("both listeners to hear the settle", () => writer.listener.state.received >= 2 && other.listener.state.received >= 2);
    // Bounded on purpose: what is checked is that nothing happens within several wake delays.
    const quietUntil = Date.now() + 6 * WAKE_DELAY_MS;
    await until("the quiet window to pass", () => Date.now() >= quietUntil);
    expect(other.counter.transactions).toBe(0);
    expect(writer.counter.transactions).toBe(writerSettles);

    // A change made in SQL (no writer settles it) is drained on its NOTIFY, as before.
    await database.query("UPDATE users SET bio = 'by hand' WHERE id = $1", [unsettledId]);
    await until("the unsettled row to be delivered", () => [...writerDelivered, ...otherDelivered].includes(String(unsettledId)));
    expect((await database.query("SELECT 1 FROM cache_invalidation_outbox")).rowCount).toBe(0);
    expect(other.counter.transactions + writer.counter.transactions - writerSettles).toBeGreaterThanOrEqual(1);
  });

  it("a key notified again while its wake waits keeps a wake of its own after the settle of the first change", async () => {
    const id = await seedUser("twice");
    const delivered: string[] = [];
    await instance(delivered);
    const writer = await instance(delivered);
    await database.query("UPDATE users SET bio = 'one' WHERE id = $1", [id]);
    expect(await writer.outbox.settle("user", String(id))).toBe(true);
    // A second change of the same key, committed after the settle and never settled by a writer.
    await database.query("UPDATE users SET bio = 'two' WHERE id = $1", [id]);
    await until(
      "the second change to be delivered by a wake",
      async () => (await database.query("SELECT 1 FROM cache_invalidation_outbox")).rowCount === 0,
    );
    // The settle's delivery, then a wake's delivery of the second change.
    expect(delivered).toEqual([String(id), String(id)]);
  });
});
