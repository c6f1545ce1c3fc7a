import { expect, test } from "./fixtures.js";
import { E2E } from "./support/env.js";

// Refreshes the README's screenshots: `DOCS_SCREENSHOTS=1 pnpm exec playwright test docs-screenshots`.
test.skip(!process.env.DOCS_SCREENSHOTS, "set DOCS_SCREENSHOTS=1 to refresh docs/*.png");

test("dashboard screenshot, after some traffic", async ({ adminPage: page, makeUser, api }) => {
  test.setTimeout(90_000);
  const users = await Promise.all(Array.from({ length: 8 }, (_, i) => makeUser(`Sample Person ${i + 1}`)));
  await page.goto("/#/dashboard");
  // Twenty seconds of mixed traffic: hits in both tiers, loads after invalidations, a few missing ids.
  const until = Date.now() + 20_000;
  for (let round = 0; Date.now() < until; round++) {
    const user = users[round % users.length];
    if (!user) continue;
    if (round % 7 === 0) await api("mutation", "cache.invalidate", { namespace: "user", id: user.id });
    await Promise.all([
      api("query", "user.byId", { id: user.id }),
      api("query", "user.byId", { id: user.id }, E2E.ports[1]),
      api("query", "user.byId", { id: 1_800_000_000 + (round % 5) }),
    ]);
  }
  await expect(page.getByRole("img", { name: /L1 hits, L2 hits and database loads per second/ })).toBeVisible();
  await page.screenshot({ path: "docs/dashboard.png", fullPage: true });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.screenshot({ path: "docs/dashboard-375.png", fullPage: true });
});

test("stampede lab screenshot, three modes side by side", async ({ adminPage: page, user }) => {
  test.setTimeout(90_000);
  await page.goto("/#/lab");
  await page.getByLabel("Concurrent calls").fill("300");
  await page.getByLabel("Database latency (ms)").fill("200");
  await page.getByLabel("User id (blank: the first user)").fill(String(user.id));
  await page.getByRole("radio", { name: "All live instances" }).check();
  await page.getByRole("button", { name: "Run all three modes" }).click();
  await expect(page.getByRole("table", { name: "Runs this session" }).getByRole("row")).toHaveCount(4, { timeout: 60_000 });
  await expect(page.getByRole("button", { name: "Run stampede" })).toBeEnabled();
  await page.screenshot({ path: "docs/stampede-lab.png", fullPage: true });
});

test("cache browser screenshot, an entry opened down to its bytes", async ({ adminPage: page, makeUser, api }) => {
  const user = await makeUser("Grace Hopper");
  await api("query", "user.byId", { id: user.id }, E2E.ports[0]);
  await api("query", "user.byId", { id: user.id }, E2E.ports[1]);
  await page.goto("/#/cache");
  await page.getByLabel("Id or key").fill(String(user.id));
  await page.getByRole("button", { name: "Open entry" }).click();
  await expect(page.getByRole("table", { name: "L1 copies per instance" }).getByRole("row").filter({ hasText: "yes" })).toHaveCount(2);
  await page.getByRole("region", { name: `Entry user ${user.id}` }).screenshot({ path: "docs/cache-entry.png" });
});
