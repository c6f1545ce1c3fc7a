import { expect, test } from "./fixtures.js";
import { type OwnCluster, startOwnCluster } from "./support/cluster.js";

/**
 * The lab's database latency lasts while the cluster runs and never silently outlives it: an instance
 * that restarts into a running cluster adopts it and says so loudly, a restart of the whole cluster drops
 * it, and after a crash (heartbeats still alive for their TTL) it is either dropped or announced.
 */
let cluster: OwnCluster;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startOwnCluster("latency", 2, 20);
});

test.afterAll(async () => {
  await cluster?.close();
});

const LOUD = "DB LATENCY 300 ms IS ON";

test("database latency: kept while the cluster runs (loudly), dropped by a restart of the whole cluster", async ({
  adminPage: page,
  api,
}) => {
  test.setTimeout(120_000);
  const latencyOf = async (port: number) =>
    (await api<{ instance: { dbLatencyMs: number } }>("query", "cache.stats", undefined, port)).instance.dbLatencyMs;
  const banner = page.getByRole("complementary", { name: "Database latency" });

  await api("mutation", "lab.setDbLatency", { ms: 300 }, cluster.ports[0]);
  for (const port of cluster.ports) await expect.poll(() => latencyOf(port)).toBe(300);
  await page.goto(`${cluster.urlOf(1)}/#/users`);
  await expect(banner).toContainText("Database latency 300 ms is on");
  await expect(banner).toContainText("until reset or until the whole cluster restarts");

  // One instance restarts while the other runs: it adopts the cluster's latency, and its log says so loudly.
  await cluster.stop(1);
  await cluster.start(1);
  expect(await latencyOf(cluster.ports[1] as number)).toBe(300);
  expect(cluster.output(1)).toContain(LOUD);

  // The whole cluster stops cleanly and starts again: the latency is gone everywhere, and so is the banner.
  await Promise.all(cluster.ports.map((_, slot) => cluster.stop(slot)));
  for (let slot = 0; slot < cluster.ports.length; slot++) await cluster.start(slot);
  for (const port of cluster.ports) expect(await latencyOf(port)).toBe(0);
  for (let slot = 0; slot < cluster.ports.length; slot++) expect(cluster.output(slot)).not.toContain("DB LATENCY");
  await page.goto(`${cluster.urlOf(0)}/#/dashboard`);
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(banner).toHaveCount(0);
});

test("database latency after a crash of every instance: dropped, or adopted and announced, never silent", async ({
  adminPage: page,
  api,
}) => {
  test.setTimeout(120_000);
  await api("mutation", "lab.setDbLatency", { ms: 300 }, cluster.ports[0]);
  // SIGKILL: no instance removes its heartbeat, which stays alive for its TTL (5 s), so a quick restart sees "live" peers.
  await Promise.all(cluster.ports.map((_, slot) => cluster.stop(slot, "SIGKILL")));
  await cluster.start(0);
  const ms = (await api<{ instance: { dbLatencyMs: number } }>("query", "cache.stats", undefined, cluster.ports[0])).instance.dbLatencyMs;
  await page.goto(`${cluster.urlOf(0)}/#/lab`);
  await expect(page.getByRole("heading", { level: 1, name: "Stampede lab" })).toBeVisible();
  if (ms === 0) {
    await expect(page.getByRole("complementary", { name: "Database latency" })).toHaveCount(0);
  } else {
    expect(ms).toBe(300);
    expect(cluster.output(0)).toContain(LOUD);
    await expect(page.getByRole("complementary", { name: "Database latency" })).toContainText("Database latency 300 ms is on");
  }
  console.log(`after a crash of every instance the latency was ${ms === 0 ? "dropped" : "adopted and announced"}`);
  await cluster.start(1);
  await api("mutation", "lab.setDbLatency", { ms: 0 }, cluster.ports[0]);
});
