import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceOf } from "../src/cache-admin/inspect-router.js";
import type { RunningApi } from "../src/start.js";
import { startTestApi } from "./support/api.js";
import { client, failure } from "./support/client.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { dropPrefix, uniquePrefix } from "./support/redis.js";

let database: TestDatabase;
let first: RunningApi;
let second: RunningApi;
const prefix = uniquePrefix("inspect");

beforeAll(async () => {
  database = await createTestDatabase();
  first = await startTestApi({ databaseUrl: database.url, prefix });
  second = await startTestApi({ databaseUrl: database.url, prefix });
});

afterAll(async () => {
  await second?.close();
  await first?.close();
  await database?.drop();
  await dropPrefix(prefix);
});

describe("inspect.lookup", () => {
  it("says database, then L1; another instance reads it from L2", async () => {
    const admin = client(first.url);
    const ada = await admin.user.create.mutate({ username: "ada-inspect", email: "ada-inspect@example.com", displayName: "Ada" });

    const cold = await admin.inspect.lookup.query({ id: ada.id });
    expect(cold).toMatchObject({ id: ada.id, source: "database", negative: false, user: { username: "ada-inspect" } });
    expect(cold.ms).toBeGreaterThan(0);
    expect((await admin.inspect.lookup.query({ id: ada.id })).source).toBe("l1");
    expect((await client(second.url).inspect.lookup.query({ id: ada.id })).source).toBe("l2");

    await admin.user.update.mutate({ id: ada.id, patch: { displayName: "Ada L." } });
    const afterEdit = await admin.inspect.lookup.query({ id: ada.id });
    expect(afterEdit).toMatchObject({ source: "database", user: { displayName: "Ada L." } });
  });

  it("reports a missing id as negative: loaded once, then a negative hit", async () => {
    const admin = client(first.url);
    expect(await admin.inspect.lookup.query({ id: 999_999 })).toMatchObject({ source: "database", negative: true, user: null });
    expect(await admin.inspect.lookup.query({ id: 999_999 })).toMatchObject({ source: "l1", negative: true, user: null });
  });

  it("needs the admin token", async () => {
    expect(await failure(client(first.url, null).inspect.lookup.query({ id: 1 }))).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
  });
});

describe("sourceOf", () => {
  it("names the cache's sources in the UI's words", () => {
    expect(sourceOf("loader")).toBe("database");
    for (const source of ["l1", "l2", "coalesced", "lock-wait", "stale"] as const) expect(sourceOf(source)).toBe(source);
  });
});
