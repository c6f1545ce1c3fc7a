import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDatabaseClient, type DatabaseClient } from "../src/db/client.js";
import { migrateWithLock } from "../src/db/migrate.js";
import { seedUsers } from "../src/db/seed-users.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";

let database: TestDatabase;
let client: DatabaseClient;

beforeAll(async () => {
  database = await createTestDatabase();
  client = createDatabaseClient(database.url, pino({ level: "silent" }));
  await migrateWithLock(client.pool, pino({ level: "silent" }));
});

afterAll(async () => {
  await client?.close();
  await database?.drop();
});

it("writes N deterministic users in batches and is safe to re-run", async () => {
  const progress: number[] = [];
  expect(await seedUsers(client.db, { count: 250, batchSize: 100, onProgress: (done) => progress.push(done) })).toBe(250);
  expect(progress).toEqual([100, 200, 250]);
  const first = await database.query<{ username: string; email: string }>("SELECT username, email FROM users ORDER BY id");
  expect(first.rows).toHaveLength(250);

  // Same seed again: nothing new (ON CONFLICT DO NOTHING), and the same users would have been made.
  expect(await seedUsers(client.db, { count: 250, batchSize: 100 })).toBe(0);
  // A larger count adds only the new tail.
  expect(await seedUsers(client.db, { count: 300, batchSize: 1000 })).toBe(50);
  const again = await database.query<{ username: string }>("SELECT username FROM users ORDER BY id LIMIT 250");
  expect(again.rows.map((row) => row.username)).toEqual(first.rows.map((row) => row.username));
});
