import { randomUUID } from "node:crypto";
import { OwnRedisServer } from "@hoard/test-servers";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RATE_LIMIT } from "../../src/config.js";
import type { RunningApi } from "../../src/start.js";
import { startTestApi } from "../support/api.js";
import { ADMIN_TOKEN, client, failure, metric } from "../support/client.js";
import { listBatchPath, loopbackClient } from "../support/load.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "../support/redis.js";

// Points 1, 3 and 4 of the hostile-client audit: bounded work per request.
let database: TestDatabase;
let a: RunningApi;
let b: RunningApi;
const prefix = uniquePrefix("bounded");
const byId = (id: number) => `/trpc/user.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`;

beforeAll(async () => {
  database = await createTestDatabase();
  // Two instances of one cluster (same prefix): the rate limit is counted in Redis, for both.
  const overrides = { rateLimit: { ...DEFAULT_RATE_LIMIT } };
  a = await startTestApi({ databaseUrl: database.url, prefix, overrides });
  b = await startTestApi({ databaseUrl: database.url, prefix, overrides });
  const admin = client(a.url);
  for (let i = 0; i < 3; i++) await admin.user.create.mutate({ username: `bw${i}`, email: `bw${i}@example.com`, displayName: `B ${i}` });
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  await database?.drop();
  await dropPrefix(prefix);
});

describe("point 1: batch amplification", () => {
  it("a batch of more than 10 calls is refused with 400 before any runs; 10 are served", async () => {
    const attacker = loopbackClient(a.url, "127.0.5.1", 1);
    try {
      const pageQueriesBefore = await metric(a.url, "hoard_db_queries_total", { operation: "user.page" });
      const refused = await attacker.get(listBatchPath(220));
      expect(refused.status).toBe(400);
      expect(refused.bytes).toBeLessThan(2_000);
      expect(await metric(a.url, "hoard_db_queries_total", { operation: "user.page" })).toBe(pageQueriesBefore);
      expect((await attacker.get(listBatchPath(11))).status).toBe(400);
      // 10 is served (from a fresh client: 10 pages of 100 cost a whole window, see below).
      const fresh = loopbackClient(a.url, "127.0.5.6", 1);
      expect((await fresh.get(listBatchPath(10))).status).toBe(200);
      fresh.close();
    } finally {
      attacker.close();
    }
  });

  it("over the per-client limit: 429 with Retry-After, counted across instances; other clients and the admin go on", async () => {
    const attacker = loopbackClient(a.url, "127.0.5.2", 4);
    const sameOnB = loopbackClient(b.url, "127.0.5.2", 4);
    const bystander = loopbackClient(a.url, "127.0.5.3", 1);
    try {
      const statuses: number[] = [];
      // 60 on one instance, then the same client on the other: the limit (100 a window) is the cluster's.
      for (let i = 0; i < 60; i++) statuses.push((await attacker.get(byId(1))).status);
      let limited: Awaited<ReturnType<typeof attacker.get>> | undefined;
      for (let i = 0; i < 80 && !limited; i++) {
        const answer = await sameOnB.get(byId(1));
        statuses.push(answer.status);
        if (answer.status === 429) limited = answer;
      }
      expect(statuses.filter((status) => status === 200).length).toBe(100);
      expect(limited?.status).toBe(429);
      expect(Number(limited?.retryAfter)).toBeGreaterThan(0);
      expect(Number(limited?.retryAfter)).toBeLessThanOrEqual(10);
      expect(statuses).not.toContain(500);
      // A batch costs its size: with the limit spent, a batch is refused even where one call still passes.
      expect((await bystander.get(listBatchPath(10))).status).toBe(200);
      expect((await bystander.get(byId(1))).status).toBe(200);
      // The admin token is never limited (the admin UI polls), even from the limited address.
      const admin = await fetch(`${a.url}${byId(1)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(admin.status).toBe(200);
    } finally {
      attacker.close();
      sameOnB.close();
      bystander.close();
    }
  });

  it("a request costs its work: after 10 reads, a batch of 10 pages of 100 (cost 100) and one page (cost 10) are refused, one read is not", async () => {
    const client2 = loopbackClient(a.url, "127.0.5.4", 1);
    try {
      for (let i = 0; i < 10; i++) expect((await client2.get(byId(1))).status).toBe(200);
      expect((await client2.get(listBatchPath(10))).status).toBe(429);
      expect((await client2.get(`/trpc/user.list?input=${encodeURIComponent(JSON.stringify({ limit: 100 }))}`)).status).toBe(429);
      expect((await client2.get(byId(1))).status).toBe(200);
    } finally {
      client2.close();
    }
  });

  it("with Redis down the limiter lets requests through (fails open), never a 500", async () => {
    const own = await OwnRedisServer.start();
    const lonely = await startTestApi({
      databaseUrl: database.url,
      prefix: `${prefix}-own`,
      overrides: { redisUrl: own.url, rateLimit: { ...DEFAULT_RATE_LIMIT } },
    });
    const c = loopbackClient(lonely.url, "127.0.5.5", 1);
    try {
      expect((await c.get(byId(1))).status).toBe(200);
      await own.stop();
      const statuses: number[] = [];
      for (let i = 0; i < 120; i++) statuses.push((await c.get(byId(1))).status);
      expect(statuses.every((status) => status === 200)).toBe(true);
    } finally {
      c.close();
      await lonely.close();
      await own.dispose();
    }
  });
});

describe("point 3: lab.fire", () => {
  it("a caller cannot fire bursts of its own, batched or not: FORBIDDEN, and no load reaches Postgres", async () => {
    const admin = client(a.url);
    const loadsBefore = await metric(a.url, "hoard_db_queries_total", { operation: "user.findById" });
    // Today's amplification: 10 batched calls of 2,000 each.
    const shaped = { runId: randomUUID(), id: 1, calls: 2_000, mode: "none", startAt: 0 };
    const calls = Array.from({ length: 10 }, () => failure(admin.lab.fire.mutate(shaped as never)));
    for (const refused of await Promise.all(calls)) expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await failure(admin.lab.fire.mutate({ runId: randomUUID() }))).toMatchObject({ code: "FORBIDDEN", status: 403 });
    expect(await metric(a.url, "hoard_db_queries_total", { operation: "user.findById" })).toBe(loadsBefore);
  });

  it("only the run holding the lab lock fires, only the share stored for this instance, and only once", async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const runId = randomUUID();
      const share = { runId, id: 1, calls: 3, mode: "none", startAt: 0 };
      const instanceId = a.services.instance.id;
      await redis.set(`${prefix}:lab:share:${runId}:${instanceId}`, JSON.stringify(share), "PX", 30_000);
      // A share without the lock is refused (the run is not the current one).
      expect(await failure(client(a.url).lab.fire.mutate({ runId }))).toMatchObject({ code: "FORBIDDEN" });
      await redis.set(`${prefix}:lab:run`, runId, "PX", 30_000);
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => client(a.url).lab.fire.mutate({ runId })));
      const fired = outcomes.filter((outcome) => outcome.status === "fulfilled");
      expect(fired).toHaveLength(1);
      expect((fired[0] as PromiseFulfilledResult<{ calls: number }>).value.calls).toBe(3);
      // Another instance has no share of it.
      expect(await failure(client(b.url).lab.fire.mutate({ runId }))).toMatchObject({ code: "FORBIDDEN" });
      await redis.del(`${prefix}:lab:run`);
    } finally {
      redis.disconnect();
    }
  });

  it("a spread stampede still runs on both instances", async () => {
    const result = await client(a.url).lab.stampede.mutate({ concurrency: 20, mode: "distributed", spread: true });
    expect(result.instances).toHaveLength(2);
    expect(result.instances.every((part) => !part.failure && part.calls === 10)).toBe(true);
    expect(result.errors).toBe(0);
  });
});

describe("point 4: metric series", () => {
  it("unknown HTTP methods and paths share one label value each", async () => {
    const { request } = await import("node:http");
    const methods = ["PROPFIND", "MKCOL", "LOCK", "UNLOCK", "COPY", "MOVE", "SEARCH", "PURGE", "REPORT", "LINK"];
    const series = async () =>
      (await (await fetch(`${a.url}/metrics`)).text())
        .split("\n")
        .filter((line) => line.startsWith("hoard_http_request_duration_seconds_count")).length;
    const before = await series();
    await Promise.all(
      methods.flatMap((method) =>
        [`/x-${method}`, `/trpc/${method}`, "/"].map(
          (path) =>
            new Promise<void>((resolve) => {
              const url = new URL(a.url);
              const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
                res.resume();
                res.on("end", () => resolve());
              });
              req.on("error", () => resolve());
              req.end();
            }),
        ),
      ),
    );
    const text = await (await fetch(`${a.url}/metrics`)).text();
    for (const method of methods) expect(text).not.toContain(`method="${method}"`);
    expect(text).toContain('method="(other)"');
    // 30 requests of 10 methods on 3 paths add at most a handful of series (one method value × the few route and status values).
    expect((await series()) - before).toBeLessThanOrEqual(6);
  });
});
