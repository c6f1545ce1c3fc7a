import { expect, statTotal, test } from "./fixtures.js";

test("the dashboard's numbers move after traffic", async ({ adminPage: page, user, api }) => {
  await page.goto("/#/dashboard");
  await expect(page.getByRole("group", { name: "Hit rate", exact: true })).toBeVisible();
  const loadsBefore = await statTotal(page, "Database loads");
  const l1Before = await statTotal(page, "L1 hits");

  // One load from the database, then nine L1 hits on the same instance.
  for (let i = 0; i < 10; i++) await api("query", "user.byId", { id: user.id });

  await expect.poll(() => statTotal(page, "Database loads")).toBeGreaterThan(loadsBefore);
  await expect.poll(() => statTotal(page, "L1 hits")).toBeGreaterThanOrEqual(l1Before + 9);
  await expect(page.getByRole("img", { name: /L1 hits, L2 hits and database loads per second/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /p50 and p99/ })).toBeVisible();
});

test("the dashboard shows Postgres, Redis, the bus and both live instances", async ({ adminPage: page }) => {
  await page.goto("/#/dashboard");
  const dependencies = page.getByRole("region", { name: "Postgres and Redis" });
  await expect(dependencies.getByText("Postgres", { exact: true })).toBeVisible();
  await expect(dependencies.locator("dd").first()).toContainText("up");
  await expect(page.getByRole("region", { name: "Invalidation sources" })).toContainText("connected");
  await expect(page.getByRole("table", { name: "Live instances" }).getByRole("row")).toHaveCount(3); // header + 2 instances
  // A real Redis: no emulation banner.
  await expect(page.getByRole("complementary", { name: "Redis emulation" })).toHaveCount(0);
});

test("when the API stops answering, panels say so instead of going blank", async ({ adminPage: page }) => {
  await page.goto("/#/dashboard");
  await expect(page.getByRole("group", { name: "Hit rate", exact: true })).toBeVisible();
  await page.route("**/trpc/**", (route) => route.abort("connectionrefused"));
  await page.route("**/readyz", (route) => route.abort("connectionrefused"));
  await expect(page.getByRole("alert").first()).toContainText("Cannot reach the API", { timeout: 15_000 });
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();

  // A fresh load with the API down: a message on each panel, not a blank page.
  await page.reload();
  await expect(page.getByRole("alert").first()).toContainText("Cannot reach the API", { timeout: 15_000 });
  await page.unroute("**/trpc/**");
  await page.unroute("**/readyz");
  await page.getByRole("button", { name: "Retry now" }).first().click();
  await expect(page.getByRole("group", { name: "Hit rate", exact: true })).toBeVisible();
});
