import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.js";

const WIDTHS = [1280, 375] as const;

/** Every page, in a state with its data shown (tables, an opened entry, a finished run). */
const PAGES: { name: string; open: (page: Page, userId: number) => Promise<void> }[] = [
  {
    name: "dashboard",
    open: async (page) => {
      await page.goto("/#/dashboard");
      await expect(page.getByRole("table", { name: "Live instances" })).toBeVisible();
    },
  },
  {
    name: "users",
    open: async (page, userId) => {
      await page.goto("/#/users");
      await expect(page.getByRole("table", { name: "Users" })).toBeVisible();
      await page.getByLabel("User id").fill(String(userId));
      await page.getByRole("button", { name: "Look up", exact: true }).click();
      await expect(page.getByRole("table", { name: "Lookup history" })).toBeVisible();
    },
  },
  {
    name: "cache",
    open: async (page, userId) => {
      await page.goto("/#/cache");
      await page.getByLabel("Id or key").fill(String(userId));
      await page.getByRole("button", { name: "Open entry" }).click();
      await expect(page.getByRole("table", { name: "L1 copies per instance" })).toBeVisible();
    },
  },
  {
    name: "lab",
    open: async (page, userId) => {
      await page.goto("/#/lab");
      await page.getByLabel("Concurrent calls").fill("10");
      await page.getByLabel("Database latency (ms)").fill("0");
      await page.getByLabel("User id (blank: the first user)").fill(String(userId));
      await page.getByRole("button", { name: "Run stampede" }).click();
      await expect(page.getByRole("table", { name: "Per-instance breakdown" })).toBeVisible();
    },
  },
];

for (const width of WIDTHS) {
  test(`sign-in page has no serious or critical axe violation at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await page.goto("/");
    await expect(page.getByRole("button", { name: /Sign in/ })).toBeVisible();
    await check(page, `sign-in@${width}`);
  });

  for (const { name, open } of PAGES) {
    test(`${name} page has no serious or critical axe violation at ${width} px`, async ({ adminPage: page, user, api }) => {
      await api("query", "user.byId", { id: user.id });
      await page.setViewportSize({ width, height: 900 });
      await open(page, user.id);
      await check(page, `${name}@${width}`);
    });
  }
}

async function check(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const byImpact: Record<string, string[]> = {};
  for (const violation of results.violations) {
    const impact = violation.impact ?? "unknown";
    byImpact[impact] = [...(byImpact[impact] ?? []), `${violation.id} (${violation.nodes.length})`];
  }
  // One line per page and width, for the record (the closing note of issue 13 quotes them).
  console.log(`axe ${where}: ${results.violations.length === 0 ? "no violations" : JSON.stringify(byImpact)}`);
  const blocking = results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  expect(
    blocking.map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`,
    ),
  ).toEqual([]);
}
