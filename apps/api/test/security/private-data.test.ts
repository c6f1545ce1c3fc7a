import { FaultProxy } from "@hoard/test-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, failure, raw } from "../support/client.js";
import { until } from "../support/poll.js";
import { createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from "../support/postgres.js";
import { type ApiProcess, spawnApi, waitReady } from "../support/processes.js";
import { dropPrefix, uniquePrefix } from "../support/redis.js";

// Points 5 and 6: private data stays private, in answers and in logs. A real API process (its logs are read).
let database: TestDatabase;
let proxy: FaultProxy;
let api: ApiProcess;
const prefix = uniquePrefix("private");

beforeAll(async () => {
  database = await createTestDatabase();
  const target = new URL(POSTGRES_ADMIN_URL);
  // Postgres through a proxy, so a test can make it unreachable.
  proxy = await FaultProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  const url = new URL(database.url);
  url.host = `127.0.0.1:${proxy.port}`;
  api = await spawnApi({ databaseUrl: url.toString(), prefix, env: { LOG_LEVEL: "debug" } });
  await waitReady(api);
}, 90_000);

afterAll(async () => {
  await api?.stop();
  await proxy?.close();
  await database?.drop();
  await dropPrefix(prefix);
});

describe("point 5: public reads return public profiles", () => {
  it("user.byId and user.list without the admin token carry no email; with it, the full profile", async () => {
    const admin = client(api.url);
    const created = await admin.user.create.mutate({ username: "pd-ada", email: "pd-ada@example.com", displayName: "Ada", bio: "b" });
    const anonymous = client(api.url, null);
    const single = await anonymous.user.byId.query({ id: created.id });
    expect(single).toMatchObject({ id: created.id, username: "pd-ada", displayName: "Ada", bio: "b" });
    expect(single).not.toHaveProperty("email");
    const page = await anonymous.user.list.query({ limit: 100 });
    expect(page.items.length).toBeGreaterThan(0);
    for (const item of page.items) expect(item).not.toHaveProperty("email");
    // Over raw HTTP too (no client-side shaping): the email is nowhere in the body.
    const body = JSON.stringify((await raw(api.url, "user.list", { input: { limit: 100 } })).body);
    expect(body).not.toContain("pd-ada@example.com");
    expect((await admin.user.byId.query({ id: created.id }))?.email).toBe("pd-ada@example.com");
    expect((await admin.user.list.query({ limit: 100 })).items.find((item) => item.id === created.id)?.email).toBe("pd-ada@example.com");
    // A wrong token is the public view, not an error and not the full one.
    expect(await client(api.url, "wrong-token-0123456789abc").user.byId.query({ id: created.id })).not.toHaveProperty("email");
  });
});

describe("point 6: errors and logs", () => {
  it("a failed insert logs neither the username, the email nor the bio", async () => {
    const admin = client(api.url);
    await admin.user.create.mutate({ username: "pd-taken", email: "pd-secret-mail@example.com", displayName: "T" });
    // A unique violation (CONFLICT) and a constraint Postgres alone knows (INTERNAL): both logged, without the values.
    expect(
      await failure(
        admin.user.create.mutate({ username: "pd-other", email: "pd-secret-mail@example.com", displayName: "T", bio: "pd-private-bio-1" }),
      ),
    ).toMatchObject({ code: "CONFLICT" });
    await database.query("ALTER TABLE users ADD CONSTRAINT pd_no_forbidden CHECK (bio <> 'pd-private-bio-2')");
    expect(
      await failure(
        admin.user.create.mutate({ username: "pd-third", email: "pd-third-mail@example.com", displayName: "T", bio: "pd-private-bio-2" }),
      ),
    ).toMatchObject({ code: "INTERNAL_SERVER_ERROR", status: 500 });
    await until("the failure to be logged", () => api.output().includes("pd_no_forbidden"));
    const logs = api.output();
    for (const secret of [
      "pd-secret-mail@example.com",
      "pd-private-bio-1",
      "pd-private-bio-2",
      "pd-third-mail@example.com",
      "pd-other",
      "pd-third",
    ]) {
      expect(logs, secret).not.toContain(secret);
    }
    // Query strings (tRPC inputs) are not logged either: the request line has the path only.
    await fetch(`${api.url}/trpc/user.byId?input=${encodeURIComponent(JSON.stringify({ id: 424242, note: "pd-query-secret" }))}`);
    await until("the request to be logged", () => api.output().includes("/trpc/user.byId"));
    expect(api.output()).not.toContain("pd-query-secret");
  });

  it("a 503 says a dependency is down without its address; the log keeps the detail", async () => {
    proxy.cut();
    try {
      const answer = await raw(api.url, "user.byId", { input: { id: 987_654 } });
      expect(answer.status).toBe(503);
      const body = JSON.stringify(answer.body);
      expect(body).not.toMatch(/127\.0\.0\.1|\[::1\]|localhost:\d|ECONNREFUSED|ECONNRESET/);
      expect(body).not.toContain(String(proxy.port));
      expect(body).toContain("unavailable");
      const ready = await fetch(`${api.url}/readyz`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(ready.status).toBe(503);
      expect(await ready.text()).not.toMatch(/127\.0\.0\.1|\[::1\]|localhost:\d/);
      await until("the cause in the log", () => /ECONNRE|Connection terminated|connect/.test(api.output()));
    } finally {
      proxy.restore();
    }
  });
});
