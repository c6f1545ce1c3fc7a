import { createHash, createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../../src/start.js";
import { startTestApi } from "../support/api.js";
import { ADMIN_TOKEN, client } from "../support/client.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "../support/redis.js";

// Points 7 and 8: bad input of every kind, from clients, from Redis and from peers.
let database: TestDatabase;
let api: RunningApi;
let redis: Redis;
const prefix = uniquePrefix("badinput");

/** A POST of a raw JSON text (so escapes like \ud800 reach the server as written). */
async function postRaw(path: string, json: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${api.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: json,
  });
  return { status: response.status, body: await response.text() };
}

/** A signature as a cluster member makes it (HMAC keyed by the token's digest): a peer the API trusts. */
function signedIdentity(id: string, url: string): string {
  const key = createHash("sha256").update(ADMIN_TOKEN, "utf8").digest();
  return createHmac("sha256", key).update(`${id}\n${url}`, "utf8").digest("hex");
}

let fake: Server | undefined;
async function fakePeer(answer: (path: string) => unknown): Promise<string> {
  fake = createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ result: { data: answer(request.url ?? "") } }));
  });
  await new Promise<void>((resolve) => fake?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
}

async function plantInstance(id: string, url: string): Promise<void> {
  const entry = { id, url, port: 1, pid: 1, startedAt: 0, lastSeenAt: Date.now(), dbLatencyMs: 0, redisMode: "external", summary: {} };
  await redis.set(`${prefix}:instance:${id}`, JSON.stringify({ ...entry, signature: signedIdentity(id, url) }), "PX", 60_000);
  await redis.sadd(`${prefix}:instances`, id);
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestApi({ databaseUrl: database.url, prefix });
  redis = new Redis(REDIS_URL);
  await client(api.url).user.create.mutate({ username: "bi-first", email: "bi-first@example.com", displayName: "First" });
});

afterEach(async () => {
  fake?.close();
  fake = undefined;
  for (const id of await redis.smembers(`${prefix}:instances`)) {
    if (id !== api.services.instance.id) {
      await redis.del(`${prefix}:instance:${id}`);
      await redis.srem(`${prefix}:instances`, id);
    }
  }
});

afterAll(async () => {
  redis?.disconnect();
  await api?.close();
  await database?.drop();
  await dropPrefix(prefix);
});

describe("point 7: text that Postgres or a reader would choke on", () => {
  const create = (username: string, displayName: string, bio = "") =>
    postRaw("user.create", `{"username":"${username}","email":"${username}@example.com","displayName":"${displayName}","bio":"${bio}"}`);

  it("a NUL in displayName or bio is a 400 from the schema, not a Postgres 500", async () => {
    for (const [field, answer] of [
      ["displayName", await create("bi-nul1", "A\\u0000B")],
      ["bio", await create("bi-nul2", "A", "x\\u0000y")],
    ] as const) {
      expect(answer.status, field).toBe(400);
      expect(answer.body, field).toContain("NUL");
    }
    const user = await client(api.url).user.create.mutate({ username: "bi-patch", email: "bi-patch@example.com", displayName: "P" });
    const patch = await postRaw("user.update", `{"id":${user.id},"patch":{"bio":"a\\u0000"}}`);
    expect(patch.status).toBe(400);
  });

  it("a lone surrogate is refused (400), not silently replaced by U+FFFD; a real pair is kept", async () => {
    expect((await create("bi-sur1", "A\\ud800B")).status).toBe(400);
    expect((await create("bi-sur2", "A", "\\udc00")).status).toBe(400);
    const ok = await create("bi-sur3", "Smile \\ud83d\\ude00");
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).result.data.displayName).toBe("Smile 😀");
  });

  it("bidi override and isolate characters are refused in display names (they reorder what a reader sees)", async () => {
    for (const control of ["\\u202e", "\\u202d", "\\u202a", "\\u2066", "\\u2069"]) {
      expect((await create(`bi-bidi${control.slice(-2)}`, `evil${control}gnp.exe`)).status, control).toBe(400);
    }
    // Right-to-left text itself is fine.
    expect((await create("bi-rtl", "שלום")).status).toBe(200);
  });
});

describe("point 8: garbage in Redis and from peers", () => {
  it("a heartbeat that is not one is skipped: instances.list, cache.stats and a spread stampede answer", async () => {
    await redis.set(`${prefix}:instance:garbage`, "{not json", "PX", 60_000);
    await redis.set(`${prefix}:instance:shape`, JSON.stringify({ id: 5, url: null }), "PX", 60_000);
    await redis.sadd(`${prefix}:instances`, "garbage", "shape");
    const admin = client(api.url);
    const list = await admin.instances.list.query();
    expect(list.map((instance) => instance.id)).toEqual([api.services.instance.id]);
    expect((await admin.cache.stats.query()).instances).toHaveLength(1);
    expect((await admin.cache.stats.query({ of: "cluster" })).scope).toMatchObject({ kind: "cluster" });
    const run = await admin.lab.stampede.mutate({ concurrency: 4, mode: "distributed", spread: true });
    expect(run.instances).toHaveLength(1);
  });

  it("a peer answering lab.fire with a malformed histogram is that instance's failure, not a 500", async () => {
    const url = await fakePeer(() => ({
      instanceId: "peer",
      url: "x",
      calls: 2,
      dbLoads: 0,
      coalesced: 0,
      lockWaits: 0,
      lockTimeouts: 0,
      errors: 0,
      histogram: { boundsMs: "nope", counts: null },
    }));
    await plantInstance("bad-peer", url);
    const run = await client(api.url).lab.stampede.mutate({ concurrency: 4, mode: "distributed", spread: true });
    const peer = run.instances.find((part) => part.instanceId === "bad-peer");
    expect(peer?.failure).toMatch(/malformed/);
    expect(run.histogram.counts.every((count) => Number.isFinite(count))).toBe(true);
  });

  it("a peer answering cache.stats with garbage is listed as unreachable in the cluster view", async () => {
    const url = await fakePeer(() => ({ totals: "lots", namespaces: [{ name: 1 }] }));
    await plantInstance("bad-stats", url);
    const stats = await client(api.url).cache.stats.query({ of: "cluster" });
    expect(stats.scope).toMatchObject({ kind: "cluster", unreachable: ["bad-stats"] });
    expect(Number.isFinite(stats.totals.l1Hits)).toBe(true);
  });
});
