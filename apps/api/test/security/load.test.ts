import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_RATE_LIMIT } from "../../src/config.js";
import { batchAttacker, pacedVictim, slowSockets, type VictimFigures } from "../support/load.js";
import { until } from "../support/poll.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { type ApiProcess, spawnApi, waitReady } from "../support/processes.js";
import { dropPrefix, uniquePrefix } from "../support/redis.js";

// Points 1 and 2 of the hostile-client audit, under load: a separate API process (its own CPU
// share, like production), a victim reading profiles, then the same victim while attackers run.
// Every loop is bounded in time; every address is on the loopback.
const prefix = uniquePrefix("load");
let database: TestDatabase;
let api: ApiProcess;
// 20 clients at 8 requests/s each: 160 requests/s in all, each client under the limit (100 a 10 s window).
const VICTIM = { clients: 20, perClientRate: 8, durationMs: 6_000 };
const victimPath = (id: number) => `/trpc/user.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`;

function show(label: string, figures: VictimFigures): void {
  process.stdout.write(
    `[load] ${label}: victim ${figures.okPerSecond} ok requests/s (sent ${figures.sent}), p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${figures.failures} failed ${JSON.stringify(figures.failuresByStatus)}\n`,
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  // The rate limit as shipped (no override): the victims stay under it, the attackers do not.
  api = await spawnApi({
    databaseUrl: database.url,
    prefix,
    env: {
      HOST: "127.0.0.1",
      LOG_LEVEL: "error",
      RATE_LIMIT_MAX: String(DEFAULT_RATE_LIMIT.max),
      RATE_LIMIT_WINDOW_MS: String(DEFAULT_RATE_LIMIT.windowMs),
    },
  });
  await waitReady(api);
  await database.query(
    `INSERT INTO users (username, email, display_name, bio)
     SELECT 'user' || n, 'user' || n || '@example.com', 'User ' || n, repeat('bio ', 20) FROM generate_series(1, 2000) AS n`,
  );
  // Warm-up (JIT, pools, the cache), from addresses the measured runs do not use.
  await pacedVictim(api.url, victimPath(7), { ...VICTIM, durationMs: 1_500, firstAddress: 101 });
}, 90_000);

afterAll(async () => {
  await api?.stop();
  await database?.drop();
  await dropPrefix(prefix);
});

it("batch amplification: the victim keeps its rate and p99 while 8 clients send 220-call batches", async () => {
  const baseline = await pacedVictim(api.url, victimPath(7), { ...VICTIM, firstAddress: 1 });
  show("point 1 baseline (no attacker)", baseline);

  const stop = new AbortController();
  const attack = batchAttacker(api.url, 8, stop.signal);
  const attacked = await pacedVictim(api.url, victimPath(7), { ...VICTIM, firstAddress: 21 });
  stop.abort();
  const attacker = await attack;
  show("point 1 with 8 batch attackers", attacked);
  process.stdout.write(
    `[load] point 1 attacker: ${attacker.requests} requests, ${JSON.stringify(attacker.byStatus)}, ${attacker.megabytes} MB received\n`,
  );

  for (const status of ["500", "503"]) expect(attacker.byStatus[status] ?? 0, status).toBe(0);
  // The 220-call batch is refused outright; an allowed batch (10 pages of 100: cost 100) passes only as
  // a client's first request of a window (the 6 s run spans at most 2 windows).
  expect(attacker.byStatus["400"]).toBe(8);
  expect(attacker.byStatus["429"] ?? 0).toBeGreaterThan(0);
  expect(attacker.byStatus["200"] ?? 0).toBeLessThanOrEqual(8 * 2);
  // Loose (the machine is shared; p99 is printed, not bounded): the victim keeps most of its rate.
  // Before the fix it kept 9 of 134 requests/s on a loaded machine.
  expect(attacked.okPerSecond).toBeGreaterThanOrEqual(baseline.okPerSecond * 0.6);
  expect(attacked.failures).toBeLessThanOrEqual(Math.ceil(attacked.sent * 0.1));
}, 90_000);

it("connections: 3,000 sockets with unfinished headers are closed by the server within the headers timeout, and capped", async () => {
  let connected = 0;
  const victim = pacedVictim(api.url, victimPath(8), {
    ...VICTIM,
    durationMs: 12_000,
    firstAddress: 41,
    onFirstAnswer: () => connected++,
  });
  // The victims open their keep-alive connections first.
  await until("every victim client to get its first answer", () => connected === VICTIM.clients, 5_000);
  const slow = await slowSockets(api.url, 3_000);
  const openAfterConnect = slow.open();
  const figures = await victim;
  show("point 2 with 3,000 slow sockets", figures);
  // headersTimeout is 10 s, checked every second: every slow socket is gone within about 12 s of opening.
  await until("every slow socket closed by the server", () => slow.open() === 0, 25_000).catch(() => undefined);
  const lifetimes = slow.lifetimesMs().sort((a, b) => a - b);
  const dropped = lifetimes.filter((ms) => ms < 3_000).length;
  process.stdout.write(
    `[load] point 2: ${openAfterConnect} slow sockets open right after connecting, ${slow.open()} still open at the end; ` +
      `${lifetimes.length} closed by the server, ${dropped} of them within 3 s (over the connection cap), the longest after ${Math.round(lifetimes[lifetimes.length - 1] ?? 0)} ms\n`,
  );
  for (const socket of slow.sockets) socket.destroy();
  expect(lifetimes.length).toBe(3_000);
  // headersTimeout 10 s, checked every second; loose for a loaded machine (before the fix: held 20 s+).
  expect(lifetimes[lifetimes.length - 1]).toBeLessThan(20_000);
  // At most maxConnections (2,000) are held: the rest (and the victims' reconnects) are dropped at once.
  expect(dropped).toBeGreaterThanOrEqual(900);
  expect(figures.failures).toBeLessThanOrEqual(Math.ceil(figures.sent * 0.1));
}, 60_000);
