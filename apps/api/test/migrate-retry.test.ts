import pg from "pg";
import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import { isConnectionFailure, migrateWithLock } from "../src/db/migrate.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";

let database: TestDatabase | undefined;
let pool: pg.Pool | undefined;

afterEach(async () => {
  await pool?.end();
  await database?.drop();
  pool = undefined;
  database = undefined;
});

/** A pool whose first checked-out client fails its first query with `failure` (as a cut link or a bad statement would). */
function poolFailingOnce(url: string, failure: Error): { pool: pg.Pool; connects: () => number } {
  const created = new pg.Pool({ connectionString: url, max: 2 });
  let connects = 0;
  const connect = created.connect.bind(created) as () => Promise<pg.PoolClient>;
  (created as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
    const client = await connect();
    if (++connects === 1) {
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      let failed = false;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        if (failed) return query(...args);
        failed = true;
        return Promise.reject(failure);
      };
    }
    return client;
  };
  return { pool: created, connects: () => connects };
}

function recordingLog() {
  const warnings: string[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
  return { log, warnings };
}

it("retries migrations whose connection failed midway (a query timeout), on a new connection, and applies them", async () => {
  database = await createTestDatabase();
  const { pool: failing, connects } = poolFailingOnce(database.url, new Error("Query read timeout"));
  pool = failing;
  const { log, warnings } = recordingLog();
  await migrateWithLock(pool, log, 10_000);
  expect(connects()).toBe(2);
  expect(warnings).toContain("the connection to postgres failed during migrations, retrying");
  const tables = await database.query<{ name: string }>("SELECT to_regclass('public.users')::text AS name");
  expect(tables.rows[0]?.name).toBe("users");
});

it("does not retry an error Postgres answered: it is thrown at once", async () => {
  database = await createTestDatabase();
  const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: "42601" });
  const { pool: failing, connects } = poolFailingOnce(database.url, syntax);
  pool = failing;
  await expect(migrateWithLock(pool, pino({ level: "silent" }), 10_000)).rejects.toBe(syntax);
  expect(connects()).toBe(1);
});

it("tells a failing connection from an answered error, through wrapped causes", () => {
  expect(isConnectionFailure(new Error("Query read timeout"))).toBe(true);
  expect(isConnectionFailure(new Error("Failed query: CREATE TABLE", { cause: new Error("Connection terminated unexpectedly") }))).toBe(
    true,
  );
  expect(isConnectionFailure(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
  expect(isConnectionFailure(Object.assign(new Error("the database system is starting up"), { code: "57P03" }))).toBe(true);
  expect(isConnectionFailure(Object.assign(new Error("connection failure"), { code: "08006" }))).toBe(true);
  expect(isConnectionFailure(new Error("Failed query", { cause: Object.assign(new Error("relation exists"), { code: "42P07" }) }))).toBe(
    false,
  );
  expect(isConnectionFailure(Object.assign(new Error("division by zero"), { code: "22012" }))).toBe(false);
  expect(isConnectionFailure("not an error")).toBe(false);
});
