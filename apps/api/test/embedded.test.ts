import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { type RunningApi, startApi } from "../src/start.js";
import { ADMIN_TOKEN, client } from "./support/client.js";

// `pnpm dev` with nothing configured: PGlite (served through pglite-socket) and the ioredis-mock
// emulation, forced here by pointing the Redis probe at a port where nothing listens.
let api: RunningApi;
let dataDir: string;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "hoard-api-embedded-"));
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, ADMIN_TOKEN, LOG_LEVEL: "silent" });
  expect(config.databaseUrl).toBeUndefined();
  expect(config.redisUrl).toBeUndefined();
  api = await startApi({ ...config, embeddedRedisProbeUrl: `redis://127.0.0.1:${await closedPort()}` });
}, 60_000);

afterAll(async () => {
  await api?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it("starts on PGlite and the Redis emulation, says so in /readyz, and answers user.byId through the cache", async () => {
  const ready = await fetch(`${api.url}/readyz`);
  expect(ready.status).toBe(200);
  const body = (await ready.json()) as { postgres: unknown; redis: unknown; warnings: string[] };
  expect(body).toMatchObject({ postgres: { state: "up", mode: "embedded" }, redis: { state: "up", mode: "emulated" } });
  expect(body.warnings.join(" ")).toMatch(/ONE INSTANCE ONLY/);

  const trpc = client(api.url);
  const ada = await trpc.user.create.mutate({ username: "ada", email: "ada@example.com", displayName: "Ada" });
  expect(await trpc.user.byId.query({ id: ada.id })).toEqual(ada);
  expect(await trpc.user.byId.query({ id: 4242 })).toBeNull();
  // The entries really are in the emulated L2 (the shim makes the library see a ready client).
  const l2 = await trpc.cache.entries.query({ namespace: "user", tier: "l2" });
  expect(l2.entries.map((entry) => [entry.id, entry.negative]).sort()).toEqual([
    [String(ada.id), false],
    ["4242", true],
  ]);
  // Distributed protection runs its Lua scripts on the emulation: one load for a burst.
  await trpc.lab.setDbLatency.mutate({ ms: 100 });
  const stampede = await trpc.lab.stampede.mutate({ id: ada.id, concurrency: 50, mode: "distributed" });
  expect(stampede).toMatchObject({ dbLoads: 1, errors: 0 });
  const none = await trpc.lab.stampede.mutate({ id: ada.id, concurrency: 20, mode: "none" });
  expect(none.dbLoads).toBe(20);
});
