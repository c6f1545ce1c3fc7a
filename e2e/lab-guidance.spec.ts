import { expect, test } from "./fixtures.js";

test("the lab refuses a user that does not exist, with the reason", async ({ adminPage: page }) => {
  await page.goto("/#/lab");
  await page.getByLabel("Concurrent calls").fill("10");
  await page.getByLabel("Database latency (ms)").fill("0");
  await page.getByLabel("User id (blank: the first user)").fill("2147483000");
  await page.getByRole("button", { name: "Run stampede" }).click();
  await expect(page.getByRole("alert")).toContainText("No user has id 2147483000");
  await expect(page.getByText("No run yet in this session")).toBeVisible();
});

test("the lab says when one process cannot show the distributed lock, and which mode is running", async ({ adminPage: page, user }) => {
  await page.goto("/#/lab");
  await page.getByRole("radio", { name: /^Distributed/ }).check();
  await page.getByRole("radio", { name: "This instance" }).check();
  await expect(page.getByRole("note")).toContainText('2 instances are live, but "This instance" runs every call in one process');
  await page.getByRole("radio", { name: "All live instances" }).check();
  await expect(page.getByRole("note")).toHaveCount(0);

  await page.getByLabel("Concurrent calls").fill("20");
  await page.getByLabel("Database latency (ms)").fill("400");
  await page.getByLabel("User id (blank: the first user)").fill(String(user.id));
  await page.getByRole("button", { name: "Run all three modes" }).click();
  const progress = page.getByRole("status", { name: "Run progress" });
  await expect(progress).toContainText("Running None (mode 1 of 3)");
  await expect(progress).toContainText("Running Local (mode 2 of 3)");
  await expect(progress).toContainText("Running Distributed (mode 3 of 3)");
  await expect(page.getByRole("table", { name: "Runs this session" }).getByRole("row")).toHaveCount(4, { timeout: 20_000 });
  await expect(progress).toHaveText("");
});

test("a database latency set by the lab shows on every page until reset", async ({ adminPage: page, api }) => {
  await api("mutation", "lab.setDbLatency", { ms: 250 });
  for (const route of ["dashboard", "users", "cache", "lab"]) {
    await page.goto(`/#/${route}`);
    await expect(page.getByRole("complementary", { name: "Database latency" })).toContainText("Database latency 250 ms is on");
  }
  await page.getByRole("button", { name: "Reset to 0 ms" }).click();
  await expect(page.getByRole("complementary", { name: "Database latency" })).toHaveCount(0);
  await page.goto("/#/users");
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect(page.getByRole("complementary", { name: "Database latency" })).toHaveCount(0);
});
