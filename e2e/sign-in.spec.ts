import { expect, test } from "./fixtures.js";
import { E2E } from "./support/env.js";

test("a wrong token is refused with a clear message; the right one opens the dashboard", async ({ page }) => {
  await page.goto("/");
  const token = page.getByLabel("Admin token");
  await token.fill("not-the-token-at-all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong token: the API refused it");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toHaveCount(0);

  await token.fill(E2E.adminToken);
  await token.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem("hoard.adminToken"))).toBe(E2E.adminToken);

  // The token lasts for the tab's session: a reload stays signed in; signing out forgets it.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByLabel("Admin token")).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem("hoard.adminToken"))).toBeNull();
});

test("the login link the API prints (#token=...) signs in and leaves the token out of the address bar", async ({ page }) => {
  await page.goto(`/#token=${E2E.adminToken}`);
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  expect(page.url()).not.toContain(E2E.adminToken);
});
