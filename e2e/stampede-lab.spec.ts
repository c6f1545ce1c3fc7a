import { expect, test } from "./fixtures.js";

test("the stampede lab compares the three modes: none loads many times, local and distributed once", async ({ adminPage: page, user }) => {
  await page.goto("/#/lab");
  await page.getByLabel("Concurrent calls").fill("60");
  await page.getByLabel("Database latency (ms)").fill("150");
  await page.getByLabel("User id (blank: the first user)").fill(String(user.id));
  const latest = page.getByRole("region", { name: "Latest run results" });
  const loads = latest.getByRole("group", { name: "Database loads", exact: true });

  await page.getByRole("radio", { name: /^None/ }).check();
  await page.getByRole("button", { name: "Run stampede" }).click();
  await expect(latest).toContainText("none, 60 calls");
  expect(Number(await loads.locator(".stat-value").textContent())).toBeGreaterThan(1);
  await expect(latest).toContainText("No protection: every call that missed went to Postgres");

  await page.getByRole("radio", { name: /^Local/ }).check();
  await page.getByRole("button", { name: "Run stampede" }).click();
  await expect(latest).toContainText("local, 60 calls");
  await expect(loads.locator(".stat-value")).toHaveText("1");
  await expect(latest).toContainText("Local single flight");

  await page.getByRole("radio", { name: /^Distributed/ }).check();
  await page.getByRole("button", { name: "Run stampede" }).click();
  await expect(latest).toContainText("distributed, 60 calls");
  await expect(loads.locator(".stat-value")).toHaveText("1");
  await expect(latest.getByRole("img", { name: /Call latency histogram/ })).toBeVisible();
  await expect(latest.getByRole("table", { name: "Per-instance breakdown" }).getByRole("row")).toHaveCount(2);

  const runs = page.getByRole("table", { name: "Runs this session" });
  await expect(runs.getByRole("row")).toHaveCount(4);
  const cards = page.getByRole("list", { name: "What happened in each mode" });
  await expect(cards.getByRole("listitem")).toHaveCount(3);
  await expect(cards).toContainText("Distributed lock: one caller in the whole cluster loaded (1 database load)");
});

test("spread over both instances, local single flight loads once per instance and the distributed lock once in all", async ({
  adminPage: page,
  user,
}) => {
  await page.goto("/#/lab");
  await page.getByLabel("Concurrent calls").fill("80");
  await page.getByLabel("Database latency (ms)").fill("300");
  await page.getByLabel("User id (blank: the first user)").fill(String(user.id));
  await page.getByRole("radio", { name: "All live instances" }).check();
  const latest = page.getByRole("region", { name: "Latest run results" });
  const loads = latest.getByRole("group", { name: "Database loads", exact: true }).locator(".stat-value");
  const breakdown = latest.getByRole("table", { name: "Per-instance breakdown" });

  await page.getByRole("radio", { name: /^Local/ }).check();
  await page.getByRole("button", { name: "Run stampede" }).click();
  await expect(latest).toContainText("spread over 2 instances");
  await expect(breakdown.getByRole("row")).toHaveCount(3);
  await expect(loads).toHaveText("2");

  await page.getByRole("radio", { name: /^Distributed/ }).check();
  await page.getByRole("button", { name: "Run stampede" }).click();
  await expect(latest).toContainText("distributed, 80 calls");
  await expect(loads).toHaveText("1");
  await expect(latest).toContainText("waited on the Redis lock");
});
