import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../test/support/poll.js";
import { ChaosEnvironment } from "./support/environment.js";
import { History } from "./support/history.js";
import { call } from "./support/http.js";
import { Load } from "./support/load.js";
import { figures, type ScenarioFigures, seedUsers, timeToRecover, warmUntilCached } from "./support/scenario.js";

// Three API instances under steady, bounded load while parts fail. Loopback only:
// the suite's own redis-server, its own database behind a TCP fault proxy.
const LOAD = { readers: 4, writers: 2, pauseMs: 15 };
/** How long the load runs before a fault, and at least after recovery. */
const STEADY_MS = 1_000;

let environment: ChaosEnvironment;
let readIds: number[] = [];
let writeIds: number[] = [];
let coldIds: number[] = [];
let probeId = 0;
const versions = new Map<number, number>();
const report: ScenarioFigures[] = [];

beforeAll(async () => {
  environment = await ChaosEnvironment.start(3);
  const url = environment.urls[0] as string;
  readIds = await seedUsers(url, 30, "read");
  writeIds = readIds.slice(0, 12);
  coldIds = await seedUsers(url, 5, "cold");
  probeId = (await seedUsers(url, 1, "probe"))[0] as number;
}, 120_000);

afterAll(async () => {
  console.log(`chaos figures:\n${report.map((row) => JSON.stringify(row)).join("\n")}`);
  await environment?.stop();
});

/** Runs the load around one fault and records the scenario's figures. */
async function scenario(
  name: string,
  fault: { inject(load: Load): Promise<void>; heal(load: Load): Promise<void>; writesDuringFault?: boolean },
): Promise<ScenarioFigures> {
  const history = new History();
  const load = new Load({ urls: () => environment.urls, readIds, writeIds, versions, ...LOAD }, history);
  const from = Date.now();
  load.start();
  try {
    await sleep(STEADY_MS);
    if (fault.writesDuringFault === false) {
      await load.pauseWrites();
      // Every read id cached on every instance when the fault begins: its reads must keep working.
      await warmUntilCached(environment, readIds);
    }
    await fault.inject(load);
    await fault.heal(load);
    const healedAt = Date.now();
    load.writesPaused = false;
    const recoveryMs = await timeToRecover(environment, probeId, healedAt);
    const recoveredAt = healedAt + recoveryMs;
    await sleep(STEADY_MS);
    await load.stop();
    // No entry stays stale: every instance serves the last acknowledged version of every written id.
    await until(
      "every instance to serve the latest versions",
      async () => {
        for (const url of environment.urls) {
          for (const id of writeIds) {
            const read = await call(url, "user.byId", { id });
            if (!read.ok || (read.body as { displayName: string }).displayName !== `v${versions.get(id) ?? 0}`) {
              // A write that failed may still have been applied; the next one settles it.
              const latest = history.writes.filter((write) => write.id === id).at(-1)?.version ?? 0;
              if ((read.body as { displayName?: string })?.displayName !== `v${latest}`) return false;
            }
          }
        }
        return true;
      },
      5_000,
    );
    const row = figures(name, history, { from, to: Date.now(), recoveredAt, recoveryMs });
    report.push(row);
    console.log(`${name}: ${JSON.stringify(row)}`);
    return row;
  } finally {
    await load.stop();
  }
}

/** How long each Redis fault lasts: the length of the outage being simulated, not a wait for a condition. */
const OUTAGE_MS = 1_500;

/** Polls an instance's /readyz and /metrics until stopped, noting whether either said the bus was down. */
function watchBusHealth(url: string) {
  const watch = { stop: false, sawReadyzDown: false, sawGaugeDown: false, done: Promise.resolve() };
  watch.done = (async () => {
    while (!watch.stop) {
      const [ready, metrics] = await Promise.all([
        fetch(`${url}/readyz`).then((response) => response.json() as Promise<{ bus?: { connected: boolean } }>),
        fetch(`${url}/metrics`).then((response) => response.text()),
      ]);
      if (ready.bus?.connected === false) watch.sawReadyzDown = true;
      if (/^hoard_cache_bus_connected(\{[^}]*\})? 0$/m.test(metrics)) watch.sawGaugeDown = true;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return watch;
}

describe("chaos", () => {
  it("Redis killed, then restarted", async () => {
    const row = await scenario("redis-kill", {
      inject: async () => {
        await environment.redis.stop();
        await sleep(OUTAGE_MS);
      },
      heal: () => environment.redis.restart(),
    });
    expect(row.readFailures).toBe(0);
    expect(row.staleAfterRecovery).toBe(0);
    expect(row.recoveryMs).toBeLessThan(5_000);
  });

  it("every instance restarted (SIGTERM, one by one) during a Redis outage, writes going on", async () => {
    let outboxAtHeal: unknown = null;
    const row = await scenario("restart-during-redis-outage", {
      inject: async (load) => {
        await environment.redis.stop();
        await sleep(OUTAGE_MS);
        // A rolling deploy while Redis is down. Known limit: redis-server restarts empty (--save ''), which hides
        // the pre-outbox bug here; test/durable-invalidation.test.ts keeps Redis's data and shows it.
        // A rolling deploy while Redis is down: invalidations of the writes so far exist only in the outbox.
        for (const index of [0, 1, 2]) {
          load.down.add(index);
          await environment.instances[index]?.stop();
          await environment.respawn(index, "listening");
          load.down.delete(index);
        }
        outboxAtHeal = ((await (await fetch(`${environment.urls[0]}/readyz`)).json()) as { outbox: unknown }).outbox;
      },
      heal: () => environment.redis.restart(),
    });
    console.log(`outbox when Redis came back: ${JSON.stringify(outboxAtHeal)}`);
    expect((outboxAtHeal as { depth: number }).depth).toBeGreaterThan(0);
    // Only calls in flight to an instance while it shuts down may fail (at most one per reader loop per restart).
    expect(row.readsCutOff).toBeLessThanOrEqual(3 * LOAD.readers);
    expect(row.readFailures).toBe(0);
    expect(row.staleAfterRecovery).toBe(0);
    expect(row.recoveryMs).toBeLessThan(5_000);
  }, 180_000);

  it("Redis paused (SIGSTOP) for longer than the command timeout, then resumed", async () => {
    const row = await scenario("redis-pause", {
      inject: async () => {
        environment.redis.pause();
        await sleep(OUTAGE_MS); // well past the 250 ms command timeout
      },
      heal: async () => environment.redis.resume(),
    });
    expect(row.readFailures).toBe(0);
    expect(row.staleAfterRecovery).toBe(0);
    expect(row.recoveryMs).toBeLessThan(5_000);
  });

  it("Postgres unreachable: cached reads keep working, uncached reads get a quick 503, it recovers by itself", async () => {
    const cold: { status: number; ms: number }[] = [];
    const row = await scenario("postgres-cut", {
      writesDuringFault: false,
      inject: async () => {
        environment.postgresProxy.cut();
        const deadline = Date.now() + 2_000;
        for (const id of coldIds) {
          const started = Date.now();
          const result = await call(environment.urls[cold.length % 3] as string, "user.byId", { id });
          cold.push({ status: result.status, ms: Date.now() - started });
        }
        await sleep(Math.max(0, deadline - Date.now()));
      },
      heal: async () => environment.postgresProxy.restore(),
    });
    console.log(`uncached reads while Postgres was cut: ${JSON.stringify(cold)}`);
    expect(cold.every((each) => each.status === 503 && each.ms < 2_500)).toBe(true);
    expect(row.readFailures).toBe(0);
    expect(row.staleAfterRecovery).toBe(0);
    expect(row.recoveryMs).toBeLessThan(5_000);
  });

  it("one API instance killed in the middle of a distributed stampede", async () => {
    const url = environment.urls[0] as string;
    const [hotId] = await seedUsers(url, 1, "hot");
    await call(url, "lab.setDbLatency", { ms: 400 }, true);
    await until("every instance to apply 400 ms", async () => {
      const list = (await call(url, "instances.list", undefined)).body as { dbLatencyMs: number }[];
      return list.length === 3 && list.every((instance) => instance.dbLatencyMs === 400);
    });
    const inspector = new Redis(environment.redis.url);
    let survivors: { ok: boolean; ms: number }[] = [];
    let killedAt = 0;
    try {
      const row = await scenario("instance-kill-mid-stampede", {
        writesDuringFault: false,
        inject: async (load) => {
          await call(url, "cache.invalidate", { namespace: "user", id: hotId }, true);
          // The victim takes the lock first; the others then wait on it.
          const victim = call(environment.urls[2] as string, "user.byId", { id: hotId });
          await until(
            "the victim to hold the lock",
            async () => (await inspector.exists(`${environment.prefix}:user:v1:{${hotId}}:lock`)) === 1,
          );
          const started = Date.now();
          const waiting = [0, 1].flatMap((index) =>
            Array.from({ length: 20 }, () =>
              call(environment.urls[index] as string, "user.byId", { id: hotId }, false, 15_000).then((result) => ({
                ok: result.ok && (result.body as { id?: number })?.id === hotId,
                ms: Date.now() - started,
              })),
            ),
          );
          load.down.add(2);
          killedAt = Date.now();
          environment.instances[2]?.child.kill("SIGKILL");
          await victim;
          survivors = await Promise.all(waiting);
        },
        heal: async (load) => {
          await call(url, "lab.setDbLatency", { ms: 0 }, true);
          await environment.respawn(2);
          load.down.delete(2);
        },
      });
      const answeredWithinMs = Math.max(...survivors.map((each) => each.ms));
      console.log(
        `stampede survivors: ${survivors.filter((each) => each.ok).length}/${survivors.length} answered, last after ${answeredWithinMs} ms from the kill at +${killedAt}`,
      );
      expect(survivors.every((each) => each.ok)).toBe(true);
      // Waiters give up on the dead holder's lock at lockWaitTimeoutMs (5 s), then load themselves (400 ms).
      expect(answeredWithinMs).toBeLessThan(6_500);
      expect(row.readFailures).toBe(0);
      expect(row.staleAfterRecovery).toBe(0);
    } finally {
      inspector.disconnect();
    }
  });

  it("the bus connection of one instance killed (CLIENT KILL)", async () => {
    const inspector = new Redis(environment.redis.url);
    try {
      const row = await scenario("bus-client-kill", {
        inject: async () => {
          const clients = (await inspector.client("LIST")) as string;
          const line = clients.split("\n").find((entry) => entry.includes(` name=${environment.prefix}-bus-`));
          const id = line ? /id=(\d+)/.exec(line)?.[1] : undefined;
          expect(id).toBeDefined();
          await inspector.client("KILL", "ID", id as string);
        },
        heal: async () => {},
      });
      expect(row.readFailures).toBe(0);
      expect(row.staleAfterRecovery).toBe(0);
      expect(row.recoveryMs).toBeLessThan(5_000);
    } finally {
      inspector.disconnect();
    }
  });
  it("one instance's bus connection goes silent without closing (half-open)", async () => {
    // A fourth instance reaches Redis through the proxy; the other three carry the load as usual.
    const silent = await environment.spawnBehindRedisProxy();
    const ids = await seedUsers(environment.urls[0] as string, 3, "halfopen");
    const nameOf = async (id: number) => ((await call(silent.url, "user.byId", { id })).body as { displayName: string }).displayName;
    for (const id of ids) await nameOf(id); // cached in the silent instance's L1
    let detectedMs = 0;
    let staleServed = 0;
    const row = await scenario("bus-half-open", {
      inject: async () => {
        // Its subscriber is the only bus connection through the proxy: stop forwarding, keep it open.
        expect(environment.redisProxy.stall((sent) => sent.includes(`${environment.prefix}-bus-`))).toBe(1);
        const stalledAt = Date.now();
        const healthWatch = watchBusHealth(silent.url);
        for (const id of ids) {
          const written = await call(environment.urls[0] as string, "user.update", { id, patch: { displayName: "after-stall" } }, true);
          expect(written.ok).toBe(true);
        }
        await until(
          "the silent instance to stop serving the old profiles",
          async () => {
            const names = await Promise.all(ids.map(nameOf));
            staleServed += names.filter((name) => name !== "after-stall").length;
            return names.every((name) => name === "after-stall");
          },
          6_000,
        );
        detectedMs = Date.now() - stalledAt;
        healthWatch.stop = true;
        await healthWatch.done;
        // Health said so once the silence was detected (/readyz and the gauge the dashboard and alerts read),
        // until the new subscriber connection (not stalled) joined again.
        expect(healthWatch.sawReadyzDown).toBe(true);
        expect(healthWatch.sawGaugeDown).toBe(true);
        const ready = (await (await fetch(`${silent.url}/readyz`)).json()) as { bus: { heartbeatMisses: number } };
        expect(ready.bus.heartbeatMisses).toBeGreaterThan(0);
      },
      heal: async () => {},
    });
    console.log(
      `bus-half-open: the silent instance served the new profiles ${detectedMs} ms after the stall (${staleServed} stale reads meanwhile)`,
    );
    expect(detectedMs).toBeLessThan(4_000); // the bound is 2 x busHeartbeatMs = 2 s; slack for a loaded machine
    expect(row.readFailures).toBe(0);
    expect(row.staleAfterRecovery).toBe(0);
  });

  it("Redis stalled (SIGSTOP 800 ms) under load: no lock is left that nobody owns", async () => {
    const inspector = new Redis(environment.redis.url);
    const lockKeys = async () => {
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await inspector.scan(cursor, "MATCH", `${environment.prefix}:*:lock`, "COUNT", 1_000);
        cursor = next;
        found.push(...keys);
      } while (cursor !== "0");
      return found;
    };
    let locksAfterStall = 0;
    let locksGoneMs = 0;
    try {
      const row = await scenario("redis-stall-under-load", {
        inject: async () => {
          environment.redis.pause();
          await sleep(800); // the stall being simulated
          environment.redis.resume();
        },
        heal: async () => {
          locksAfterStall = (await lockKeys()).length;
          const resumedAt = Date.now();
          // Live loads take locks for a few ms under this load; a ghost lock would stay for lockTtlMs or more.
          await until("no lock left from the stall", async () => (await lockKeys()).length === 0, 3_000);
          locksGoneMs = Date.now() - resumedAt;
        },
      });
      console.log(`redis-stall-under-load: ${locksAfterStall} lock(s) right after the stall, none left after ${locksGoneMs} ms`);
      expect(row.readFailures).toBe(0);
      expect(row.staleAfterRecovery).toBe(0);
      expect(row.recoveryMs).toBeLessThan(5_000);
    } finally {
      inspector.disconnect();
    }
  });
});
