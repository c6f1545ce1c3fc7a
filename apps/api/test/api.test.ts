import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../src/start.js";
import { publicProfile } from "../src/users/public-profile.js";
import { startTestApi } from "./support/api.js";
import { ADMIN_TOKEN, client, failure, metric, raw } from "./support/client.js";
import { until } from "./support/poll.js";
import { adminQuery, createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { dropPrefix, uniquePrefix } from "./support/redis.js";

let database: TestDatabase;
let api: RunningApi;
let admin: ReturnType<typeof client>;
let anonymous: ReturnType<typeof client>;
const prefix = uniquePrefix("api");

const findById = () => metric(api.url, "hoard_db_queries_total", { operation: "user.findById" });

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestApi({ databaseUrl: database.url, prefix });
  admin = client(api.url);
  anonymous = client(api.url, null);
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
  await dropPrefix(prefix);
});

describe("user procedures", () => {
  it("creates, reads, lists, updates and deletes profiles", async () => {
    const ada = await admin.user.create.mutate({ username: "ada", email: "ada@example.com", displayName: "Ada Lovelace" });
    expect(ada).toMatchObject({ username: "ada", email: "ada@example.com", displayName: "Ada Lovelace", bio: "" });
    expect(await anonymous.user.byId.query({ id: ada.id })).toEqual(publicProfile(ada)); // no email without the admin token

    const more = await Promise.all(
      ["bob", "cyd", "dee"].map((name) => admin.user.create.mutate({ username: name, email: `${name}@example.com`, displayName: name })),
    );
    const first = await anonymous.user.list.query({ limit: 2 });
    expect(first.items.map((user) => user.username)).toEqual(["ada", more[0]?.username]);
    expect(first.nextCursor).toBe(first.items[1]?.id);
    const second = await anonymous.user.list.query({ cursor: first.nextCursor ?? 0, limit: 2 });
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();

    const updated = await admin.user.update.mutate({ id: ada.id, patch: { bio: "First programmer" } });
    expect(updated.bio).toBe("First programmer");
    expect((await anonymous.user.byId.query({ id: ada.id }))?.bio).toBe("First programmer");

    expect(await admin.user.delete.mutate({ id: ada.id })).toEqual({ id: ada.id, deleted: true });
    expect(await anonymous.user.byId.query({ id: ada.id })).toBeNull();
  });

  it("user.list caches whole pages: a second read of a page makes no query", async () => {
    await anonymous.user.list.query({ limit: 50 });
    const queries = await metric(api.url, "hoard_db_queries_total", { operation: "user.page" });
    expect(queries).toBeGreaterThan(0);
    const again = await anonymous.user.list.query({ limit: 50 });
    expect(again.items.length).toBeGreaterThan(0);
    expect(await metric(api.url, "hoard_db_queries_total", { operation: "user.page" })).toBe(queries);
  });

  it("caches absent ids: the second lookup of a missing id does not reach Postgres", async () => {
    const before = await findById();
    expect(await anonymous.user.byId.query({ id: 900_001 })).toBeNull();
    expect(await findById()).toBe(before + 1);
    expect(await anonymous.user.byId.query({ id: 900_001 })).toBeNull();
    expect(await findById()).toBe(before + 1);
    const stats = await admin.cache.stats.query();
    expect(stats.namespaces.find((namespace) => namespace.name === "user")?.counters.negativeHits).toBeGreaterThan(0);
  });

  it("a created user replaces the absent marker of its id", async () => {
    const probe = await admin.user.create.mutate({ username: "probe", email: "probe@example.com", displayName: "Probe" });
    const nextId = probe.id + 1;
    expect(await anonymous.user.byId.query({ id: nextId })).toBeNull();
    const created = await admin.user.create.mutate({ username: "next", email: "next@example.com", displayName: "Next" });
    expect(created.id).toBe(nextId);
    expect(await anonymous.user.byId.query({ id: nextId })).toEqual(publicProfile(created));
  });

  it("an API write invalidates: the next read loads the new row from Postgres", async () => {
    const user = await admin.user.create.mutate({ username: "writer", email: "writer@example.com", displayName: "Before" });
    await anonymous.user.byId.query({ id: user.id });
    const before = await findById();
    await anonymous.user.byId.query({ id: user.id });
    expect(await findById()).toBe(before); // served from the cache
    await admin.user.update.mutate({ id: user.id, patch: { displayName: "After" } });
    expect((await anonymous.user.byId.query({ id: user.id }))?.displayName).toBe("After");
    expect(await findById()).toBe(before + 1);
  });

  it("a direct SQL UPDATE invalidates through NOTIFY within a second", async () => {
    const user = await admin.user.create.mutate({ username: "sql", email: "sql@example.com", displayName: "Before" });
    expect((await anonymous.user.byId.query({ id: user.id }))?.displayName).toBe("Before");
    expect(await api.services.users.namespace.has(user.id)).toBe(true);
    await database.query("UPDATE users SET display_name = 'Changed in SQL' WHERE id = $1", [user.id]);
    await until("the cached profile to be invalidated", async () => !(await api.services.users.namespace.has(user.id)), 1_000);
    expect((await anonymous.user.byId.query({ id: user.id }))?.displayName).toBe("Changed in SQL");
    await database.query("DELETE FROM users WHERE id = $1", [user.id]);
    await until("the deleted user to read as null", async () => (await anonymous.user.byId.query({ id: user.id })) === null, 1_000);
  });

  it("after the LISTEN connection is lost, a change made meanwhile still reaches the cache (outbox), and it listens again", async () => {
    const user = await admin.user.create.mutate({ username: "relisten", email: "relisten@example.com", displayName: "R" });
    await anonymous.user.byId.query({ id: user.id });
    const pid = await api.listener.backendPid();
    expect(pid).toBeTypeOf("number");
    await adminQuery("SELECT pg_terminate_backend($1)", [pid]);
    // Its NOTIFY goes nowhere; its outbox row stays until a drain delivers it.
    await database.query("UPDATE users SET bio = 'while away' WHERE id = $1", [user.id]);
    await until("the listener to reconnect", () => api.listener.state.reconnects === 1 && api.listener.state.connected, 10_000);
    await until("the change to be delivered", async () => (await anonymous.user.byId.query({ id: user.id }))?.bio === "while away", 3_000);
    await database.query("UPDATE users SET bio = 'again' WHERE id = $1", [user.id]);
    await until("the update to be heard", async () => (await anonymous.user.byId.query({ id: user.id }))?.bio === "again", 1_000);
  });
});

describe("bad input", () => {
  it("answers BAD_REQUEST with a message naming the field, never a 500", async () => {
    const cases: [string, unknown][] = [
      ["user.byId", { id: "abc" }],
      ["user.byId", { id: -1 }],
      ["user.byId", { id: 1.5 }],
      ["user.byId", {}],
      ["user.byId", { id: 1, extra: true }],
      ["user.list", { limit: 0 }],
      ["user.list", { limit: 101 }],
      ["user.list", { cursor: -5 }],
    ];
    for (const [path, input] of cases) {
      const { status, body } = await raw(api.url, path, { input });
      expect(status, `${path} ${JSON.stringify(input)}`).toBe(400);
      expect((body as { error: { message: string } }).error.message).toMatch(/^Invalid input: /);
    }
    const badEmail = await failure(admin.user.create.mutate({ username: "x_y", email: "not-an-email", displayName: "X" }));
    expect(badEmail).toMatchObject({ code: "BAD_REQUEST", status: 400 });
    expect(badEmail.message).toContain("email");
    const emptyPatch = await failure(admin.user.update.mutate({ id: 1, patch: {} }));
    expect(emptyPatch.message).toContain("at least one field");
    const limit = await failure(anonymous.user.list.query({ limit: 1000 }));
    expect(limit.message).toContain("limit");
  });

  it("answers 400 for malformed JSON and 413 for bodies over 100 kB", async () => {
    const headers = { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` };
    const malformed = await raw(api.url, "user.create", { method: "POST", headers, body: "{not json" });
    expect(malformed.status).toBe(400);
    const big = JSON.stringify({ username: "big", email: "big@example.com", displayName: "Big", bio: "x".repeat(110_000) });
    expect((await raw(api.url, "user.create", { method: "POST", headers, body: big })).status).toBe(413);
    // Without a Content-Length (chunked), tRPC's own limit applies while streaming.
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const response = await fetch(`${api.url}/trpc/user.create`, { method: "POST", headers, body: chunked, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
  });

  it("answers 404 for unknown procedures and paths", async () => {
    expect((await raw(api.url, "user.nope", { input: {} })).status).toBe(404);
    expect((await fetch(`${api.url}/no/such/path`)).status).toBe(404);
  });

  it("answers CONFLICT for a taken username or email, NOT_FOUND for a missing id", async () => {
    await admin.user.create.mutate({ username: "taken", email: "taken@example.com", displayName: "T" });
    const username = await failure(admin.user.create.mutate({ username: "taken", email: "other@example.com", displayName: "T" }));
    expect(username).toMatchObject({ code: "CONFLICT", status: 409, message: "That username is already taken." });
    const email = await failure(admin.user.create.mutate({ username: "other", email: "taken@example.com", displayName: "T" }));
    expect(email).toMatchObject({ code: "CONFLICT", message: "That email is already taken." });
    expect(await failure(admin.user.update.mutate({ id: 999_999, patch: { bio: "x" } }))).toMatchObject({ code: "NOT_FOUND", status: 404 });
    expect(await failure(admin.user.delete.mutate({ id: 999_999 }))).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("admin procedures", () => {
  it("refuse calls without the token or with a wrong one (UNAUTHORIZED), for every admin procedure", async () => {
    const calls = (c: ReturnType<typeof client>) => [
      c.user.create.mutate({ username: "nobody", email: "nobody@example.com", displayName: "N" }),
      c.user.update.mutate({ id: 1, patch: { bio: "x" } }),
      c.user.delete.mutate({ id: 1 }),
      c.cache.stats.query(),
      c.cache.entries.query({ namespace: "user", tier: "l1" }),
      c.cache.invalidate.mutate({ namespace: "user", id: 1 }),
      c.cache.clear.mutate({ namespace: "user" }),
      c.cache.entry.query({ namespace: "user", id: 1 }),
      c.cache.l1Copy.query({ namespace: "user", id: 1 }),
      c.cache.versionDemo.query({ id: 1 }),
      c.cache.stats.query({ of: "cluster" }),
      c.instances.list.query(),
      c.lab.setDbLatency.mutate({ ms: 1 }),
      c.lab.stampede.mutate({ concurrency: 1, mode: "none" }),
      c.lab.fire.mutate({ runId: "x" }),
    ];
    const createsBefore = await metric(api.url, "hoard_db_queries_total", { operation: "user.create" });
    for (const c of [anonymous, client(api.url, "wrong-token-wrong-token"), client(api.url, `${ADMIN_TOKEN}x`)]) {
      const results = await Promise.all(calls(c).map((call) => failure(call).catch((error: Error) => error.message)));
      for (const [i, result] of results.entries()) expect(result, `call ${i}`).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    }
    // Refused before any write reached Postgres.
    expect(await metric(api.url, "hoard_db_queries_total", { operation: "user.create" })).toBe(createsBefore);
    expect(await failure(anonymous.user.delete.mutate({ id: 1 }))).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("cache.entries browses L1 and L2; cache.invalidate and cache.clear drop entries", async () => {
    const user = await admin.user.create.mutate({ username: "browse", email: "browse@example.com", displayName: "B" });
    await anonymous.user.byId.query({ id: user.id });
    await anonymous.user.byId.query({ id: 800_000 });
    for (const tier of ["l1", "l2"] as const) {
      const page = await admin.cache.entries.query({ namespace: "user", tier, limit: 1000 });
      const entry = page.entries.find((e) => e.id === String(user.id));
      expect(entry, tier).toMatchObject({ version: 1, negative: false });
      expect(entry?.freshForMs).toBeGreaterThan(50_000);
      expect(entry?.size).toBeGreaterThan(33 + '"username":"browse"'.length); // header + at least the username field
      expect(page.entries.find((e) => e.id === "800000")?.negative, tier).toBe(true);
    }
    await admin.cache.invalidate.mutate({ namespace: "user", id: user.id });
    expect(await api.services.users.namespace.has(user.id)).toBe(false);
    await anonymous.user.byId.query({ id: user.id });
    expect((await admin.cache.clear.mutate({ namespace: "user" })).removedFromL2).toBeGreaterThan(0);
    expect(await api.services.users.namespace.has(user.id)).toBe(false);
    expect((await admin.cache.entries.query({ namespace: "user", tier: "l2" })).entries).toEqual([]);
    expect(await failure(admin.cache.entries.query({ namespace: "nope" as "user", tier: "l1" }))).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("cache.entry shows one entry's bytes, envelope and L1 holders; NOT_FOUND when nothing is cached, BAD_REQUEST on bad input", async () => {
    const user = await admin.user.create.mutate({ username: "opened", email: "opened@example.com", displayName: "O" });
    await anonymous.user.byId.query({ id: user.id });
    const entry = await admin.cache.entry.query({ namespace: "user", id: String(user.id) });
    expect(entry).toMatchObject({ version: 1, codec: "json", tags: [] });
    expect(entry.l2?.payloadUtf8).toContain('"username":"opened"');
    expect(entry.l2?.hex.startsWith("480100")).toBe(true);
    expect(entry.l2?.staleUntil).toBeGreaterThanOrEqual(entry.l2?.freshUntil ?? Number.POSITIVE_INFINITY);
    expect(entry.l1Holders).toEqual([expect.objectContaining({ instanceId: api.services.instance.id, copy: expect.any(Object) })]);
    await admin.cache.invalidate.mutate({ namespace: "user", id: user.id });
    expect(await failure(admin.cache.entry.query({ namespace: "user", id: user.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(admin.cache.entry.query({ namespace: "user", id: "" }))).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("cache.stats of the cluster sums the live instances; an unknown instance is NOT_FOUND, a malformed one BAD_REQUEST", async () => {
    const self = await admin.cache.stats.query();
    const cluster = await admin.cache.stats.query({ of: "cluster" });
    expect(cluster.scope).toEqual({ kind: "cluster", instanceIds: [api.services.instance.id], unreachable: [] });
    expect(cluster.totals.loads).toBeGreaterThanOrEqual(self.totals.loads);
    expect((await admin.cache.stats.query({ of: api.services.instance.id })).scope).toEqual({
      kind: "instance",
      instanceId: api.services.instance.id,
    });
    expect(await failure(admin.cache.stats.query({ of: "00000000-0000-4000-8000-000000000000" }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(admin.cache.stats.query({ of: "somebody" }))).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("cache.versionDemo: the next version's key cannot reach the current entry, and nothing changes for the running namespace", async () => {
    const user = await admin.user.create.mutate({ username: "versioned", email: "versioned@example.com", displayName: "V" });
    const demo = await admin.cache.versionDemo.query({ id: user.id });
    expect(demo.current).toMatchObject({ version: 1, inL2: true });
    expect(demo.bumped).toMatchObject({ version: 2, inL2: false });
    expect(demo.bumped.key).toContain(":user:v2:");
    expect(await api.services.users.namespace.has(user.id)).toBe(true);
  });

  it("cache.stats reports tiers, namespaces, instances and a per-second series", async () => {
    await until("two samples in the series", async () => (await admin.cache.stats.query()).series.length >= 2, 5_000);
    const stats = await admin.cache.stats.query();
    expect(stats.instance.id).toBe(api.services.instance.id);
    expect(stats.tiers.l2.enabled).toBe(true);
    expect(stats.tiers.bus?.connected).toBe(true);
    expect(stats.namespaces.map((namespace) => namespace.name)).toContain("user");
    expect(stats.totals.loads).toBeGreaterThan(0);
    expect(stats.instances.map((instance) => instance.id)).toContain(api.services.instance.id);
    const [a, b] = stats.series.slice(-2);
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("instances.list shows this instance from its heartbeat", async () => {
    const instances = await admin.instances.list.query();
    expect(instances).toHaveLength(1);
    expect(instances[0]).toMatchObject({ id: api.services.instance.id, url: api.url, port: api.port, redisMode: "external" });
  });

  it("lab.stampede refuses a user that does not exist (NOT_FOUND)", async () => {
    expect(await failure(admin.lab.stampede.mutate({ id: 2_100_000_000, concurrency: 5, mode: "local" }))).toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("lab.setDbLatency delays each load after the read; lab.stampede refuses a second run with CONFLICT", async () => {
    // Long enough that the second run arrives while the first holds the lab lock, even on a loaded machine.
    const latencyMs = 1_000;
    const user = await admin.user.create.mutate({ username: "slow", email: "slow@example.com", displayName: "S" });
    expect(await admin.lab.setDbLatency.mutate({ ms: latencyMs })).toEqual({ dbLatencyMs: latencyMs });
    const started = performance.now();
    await anonymous.user.byId.query({ id: user.id });
    expect(performance.now() - started).toBeGreaterThanOrEqual(latencyMs - 10);
    const first = admin.lab.stampede.mutate({ id: user.id, concurrency: 20, mode: "local" });
    await until("the first run to hold the lab lock", async () => (await api.services.redis?.exists(`${prefix}:lab:run`)) === 1, 2_000);
    expect(await failure(admin.lab.stampede.mutate({ id: user.id, concurrency: 5, mode: "none" }))).toMatchObject({
      code: "CONFLICT",
      status: 409,
    });
    const result = await first;
    expect(result).toMatchObject({ mode: "local", concurrency: 20, dbLoads: 1, coalesced: 19, errors: 0 });
    expect(result.histogram.counts.reduce((a, b) => a + b, 0)).toBe(20);
    expect(result.histogram.p50Ms).toBeGreaterThanOrEqual(latencyMs - 10);
    await admin.lab.setDbLatency.mutate({ ms: 0 });
    expect(await failure(admin.lab.stampede.mutate({ concurrency: 2001, mode: "none" }))).toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("http endpoints", () => {
  it("/healthz, /readyz and /metrics answer", async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      postgres: { state: "up", mode: "external" },
      redis: { state: "up", mode: "external" },
      warnings: [],
    });
    const text = await (await fetch(`${api.url}/metrics`)).text();
    for (const name of [
      "hoard_cache_",
      "hoard_http_request_duration_seconds_bucket",
      "hoard_db_query_duration_seconds_bucket",
      "process_cpu",
    ]) {
      expect(text).toContain(name);
    }
    const page = await fetch(`${api.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Hoard admin|Hoard API/); // the built admin UI, else the placeholder
    expect((await fetch(`${api.url}/healthz`)).headers.get("x-request-id")).toBeTruthy();
  });

  it("answers 503 fast when Postgres refuses connections, and recovers", async () => {
    const user = await admin.user.create.mutate({ username: "outage", email: "outage@example.com", displayName: "O" });
    await adminQuery(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`);
    try {
      await adminQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [
        database.name,
      ]);
      const started = performance.now();
      expect(await failure(anonymous.user.byId.query({ id: user.id + 1000 }))).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: 503 });
      expect(performance.now() - started).toBeLessThan(3_000);
      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "not-ready", postgres: { state: "down" }, redis: { state: "up" } });
    } finally {
      await adminQuery(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`);
    }
    await until("readyz to recover", async () => (await fetch(`${api.url}/readyz`)).status === 200, 10_000);
    expect((await anonymous.user.byId.query({ id: user.id }))?.username).toBe("outage");
  });
});
