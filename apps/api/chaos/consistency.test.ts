import { afterAll, beforeAll, expect, it } from "vitest";
import { until } from "../test/support/poll.js";
import { ChaosEnvironment } from "./support/environment.js";
import { History, quantile } from "./support/history.js";
import { call, versionOf } from "./support/http.js";
import { Load } from "./support/load.js";
import { BUS_DELAY_BUDGET_MS, seedUsers } from "./support/scenario.js";

// The consistency checker: randomized concurrent reads and writes over three instances,
// every call recorded, then the history checked against what Hoard promises.
const OPERATIONS = 10_000;

let environment: ChaosEnvironment;
let ids: number[] = [];

beforeAll(async () => {
  environment = await ChaosEnvironment.start(3);
  ids = await seedUsers(environment.urls[0] as string, 20, "checked");
}, 120_000);

afterAll(async () => {
  await environment?.stop();
});

it(`${OPERATIONS} concurrent reads and writes over three instances: read-your-writes, stale only within the bus delay, nothing stays stale`, async () => {
  const history = new History();
  const versions = new Map<number, number>();
  const load = new Load(
    { urls: () => environment.urls, readIds: ids, writeIds: ids, versions, readers: 6, writers: 4, pauseMs: 0, chaseWrites: true },
    history,
  );
  const started = Date.now();
  load.start();
  try {
    await until("the history to reach its size", () => history.reads.length + history.writes.length >= OPERATIONS, 120_000);
  } finally {
    await load.stop();
  }
  const seconds = (Date.now() - started) / 1000;

  // Nothing stays stale: every instance converges on the last acknowledged write of every id.
  const latest = (id: number) => history.writes.filter((write) => write.id === id).at(-1)?.version ?? 0;
  await until(
    "every instance to serve the last write of every id",
    async () => {
      const reads = await Promise.all(environment.urls.flatMap((url) => ids.map((id) => call(url, "user.byId", { id }))));
      return reads.every((read, i) => read.ok && versionOf(read.body) >= latest(ids[i % ids.length] as number));
    },
    2_000,
  );

  const failed = history.reads.filter((read) => !read.ok).length + history.failedWrites.length;
  const stale = history.staleReads();
  const sameInstance = stale.filter((each) => each.sameInstance);
  const windows = stale.filter((each) => !each.sameInstance).map((each) => each.staleForMs);
  const summary = {
    operations: history.reads.length + history.writes.length,
    reads: history.reads.length,
    writes: history.writes.length,
    seconds,
    failed,
    staleReads: stale.length,
    readYourWritesViolations: sameInstance.length,
    staleWindowMs: { p50: quantile(windows, 0.5), p99: quantile(windows, 0.99), max: Math.max(0, ...windows) },
  };
  console.log(`consistency checker: ${JSON.stringify(summary)}`);
  if (sameInstance.length > 0) console.log("read-your-writes violations (first 5):", JSON.stringify(sameInstance.slice(0, 5)));

  expect(summary.operations).toBeGreaterThanOrEqual(OPERATIONS);
  expect(failed).toBe(0);
  expect(sameInstance).toEqual([]);
  expect(summary.staleWindowMs.max).toBeLessThanOrEqual(BUS_DELAY_BUDGET_MS);
});
