import { expect, test } from "./fixtures.js";

test("every page is reachable with the keyboard alone", async ({ adminPage: page }) => {
  await page.goto("/#/dashboard");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const name of ["Users", "Cache browser", "Stampede lab"]) {
    await nav.getByRole("link", { name }).focus();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    await expect(nav.getByRole("link", { name })).toHaveAttribute("aria-current", "page");
  }
  // Tab moves from one lab control to the next: into the protection choice, at its checked mode.
  await page.getByLabel("Concurrent calls").focus();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("radio", { name: /^Distributed/ })).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(page.getByRole("radio", { name: /^Local/ })).toBeChecked();
});

test("a narrow window keeps every page readable without sideways scrolling", async ({ adminPage: page }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  for (const [route, heading] of [
    ["dashboard", "Dashboard"],
    ["users", "Users"],
    ["cache", "Cache browser"],
    ["lab", "Stampede lab"],
  ] as const) {
    await page.goto(`/#/${route}`);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: /^Loading/ })).toHaveCount(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${route} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
  }
});
