import type { Page } from "@playwright/test";
import { expect, statTotal, statValue, test } from "./fixtures.js";
import { E2E } from "./support/env.js";

interface LookupCounters {
  l1Hits: number;
  l2Hits: number;
  coalesced: number;
  misses: number;
}

interface Stats {
  instance: { id: string };
  totals: LookupCounters;
  namespaces: { name: string; counters: LookupCounters }[];
}

/** The dashboard's one definition: L1 + L2 hits over every lookup (hits, joined loads and misses), as the UI rounds it. */
const hitRateText = (c: LookupCounters) => {
  const lookups = c.l1Hits + c.l2Hits + c.coalesced + c.misses;
  return `${((lookups === 0 ? 0 : (c.l1Hits + c.l2Hits) / lookups) * 100).toFixed(1)}%`;
};

const percentOf = async (page: Page, label: string) => Number((await statValue(page, label)).replace("%", ""));

test("the dashboard shows the cluster total or one picked instance, and says which", async ({ adminPage: page, user, api }) => {
  const second = await api<Stats>("query", "cache.stats", undefined, E2E.ports[1]);
  await page.goto("/#/dashboard");
  await expect(page.getByRole("heading", { name: /^Right now: Cluster total \(2 instances\)/ })).toBeVisible();

  // Traffic on the second instance only: ten L1 hits there after one load.
  for (let i = 0; i < 11; i++) await api("query", "user.byId", { id: user.id }, E2E.ports[1]);

  await page.getByLabel("Numbers of").selectOption(second.instance.id);
  await expect(page.getByRole("heading", { name: `Right now: Instance ${second.instance.id.slice(0, 8)}` })).toBeVisible();
  await expect(
    page.getByRole("heading", { name: `Operations per second, last 5 minutes: Instance ${second.instance.id.slice(0, 8)}` }),
  ).toBeVisible();
  // The tiles are the picked instance's own counters, whichever instance serves the page.
  await expect
    .poll(
      async () => (await statTotal(page, "L1 hits")) === (await api<Stats>("query", "cache.stats", undefined, E2E.ports[1])).totals.l1Hits,
    )
    .toBe(true);

  await page.getByLabel("Numbers of").selectOption("cluster");
  await expect(page.getByRole("heading", { name: /^Right now: Cluster total/ })).toBeVisible();
  await expect
    .poll(async () => {
      const [a, b] = await Promise.all(E2E.ports.map((port) => api<Stats>("query", "cache.stats", undefined, port)));
      return (await statTotal(page, "L1 hits")) === (a?.totals.l1Hits ?? 0) + (b?.totals.l1Hits ?? 0);
    })
    .toBe(true);
});

test("one hit rate: the tiles are shares of the same lookups, add up to 100 %, and the hit rate is L1 + L2", async ({
  adminPage: page,
  user,
  api,
}) => {
  for (let i = 0; i < 5; i++) await api("query", "user.byId", { id: user.id });
  await page.goto("/#/dashboard");
  await expect(page.getByText(/Every figure above is a share of the same [\d,]+ lookups/)).toBeVisible();
  await expect(page.getByRole("group", { name: "Hit rate", exact: true })).toContainText("L1 + L2 of");
  const [hit, l1, l2, joined, missed] = await Promise.all(
    ["Hit rate", "L1 hits", "L2 hits", "Joined a load", "Missed both tiers"].map((label) => percentOf(page, label)),
  );
  // Each figure is rounded to 0.1 %.
  expect(Math.abs((l1 ?? 0) + (l2 ?? 0) - (hit ?? 0))).toBeLessThanOrEqual(0.2);
  expect(Math.abs((l1 ?? 0) + (l2 ?? 0) + (joined ?? 0) + (missed ?? 0) - 100)).toBeLessThanOrEqual(0.5);

  // The namespace view uses the same definition: on one instance, the dashboard's hit rate is that of its totals
  // (every namespace: user and user-list), and the namespace row's is that of the namespace's own counters.
  const first = await api<Stats>("query", "cache.stats", undefined, E2E.ports[0]);
  await page.getByLabel("Numbers of").selectOption(first.instance.id);
  await expect(page.getByRole("heading", { name: `Right now: Instance ${first.instance.id.slice(0, 8)}` })).toBeVisible();
  await expect(page.getByRole("group", { name: "Hit rate", exact: true })).toContainText(hitRateText(first.totals));
  await page.goto("/#/cache");
  const row = page.getByRole("table", { name: "Namespaces" }).getByRole("row", { name: /^user v1/ });
  const userCounters = (await api<Stats>("query", "cache.stats", undefined, E2E.ports[0])).namespaces.find((ns) => ns.name === "user");
  expect(userCounters).toBeDefined();
  await expect(row.getByRole("cell").nth(3)).toHaveText(hitRateText(userCounters?.counters as LookupCounters));
});

test("the invalidation sources: the bus, the database listener's last event, and the outbox's depth", async ({
  adminPage: page,
  user,
  api,
}) => {
  await page.goto("/#/dashboard");
  const sources = page.getByRole("region", { name: "Invalidation sources" });
  await expect(sources).toContainText(
    /Invalidation bus \(Redis pub\/sub\)\s*connected\s*[\d,]+ messages sent · [\d,]+ received · [\d,]+ gaps · [\d,]+ L1 flushes/,
  );
  await expect(sources.locator("dt", { hasText: "Database listener" }).locator("+ dd")).toContainText("listening");
  await expect(sources.locator("dt", { hasText: "Outbox (transactional invalidations)" }).locator("+ dd")).toContainText(/depth \d+/);
  // A write fires the users trigger's NOTIFY: the listener's last event becomes recent.
  await api("mutation", "user.update", { id: user.id, patch: { displayName: "Listener Check" } });
  await expect(sources.locator("dt", { hasText: "Database listener" }).locator("+ dd")).toContainText(/last event [\d.]+ (ms|s) ago/);
});
