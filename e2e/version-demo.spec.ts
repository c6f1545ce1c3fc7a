import { expect, test } from "./fixtures.js";
import { E2E } from "./support/env.js";

test("versioned keys: a reader at the next version cannot reach the current entry, and the current version still hits", async ({
  adminPage: page,
  user,
}) => {
  await page.goto("/#/cache");
  const panel = page.getByRole("region", { name: "Versioned keys: what a bump does" });
  await panel.getByLabel("User id").fill(String(user.id));
  await panel.getByRole("button", { name: "Compare versions" }).click();
  const comparison = panel.getByRole("definition");
  await expect(comparison.nth(0)).toContainText(`${E2E.cachePrefix}:user:v1:{${user.id}}`);
  await expect(comparison.nth(0)).toContainText("holds the profile");
  await expect(comparison.nth(1)).toContainText(`${E2E.cachePrefix}:user:v2:{${user.id}}`);
  await expect(comparison.nth(1)).toContainText("unreachable");
  await expect(comparison.nth(2)).toContainText("v1 readers still hit");
  // The running cluster was not changed: the entry is still served at v1.
  await page.getByLabel("Id or key").fill(String(user.id));
  await page.getByRole("button", { name: "Open entry" }).click();
  await expect(
    page
      .getByRole("region", { name: `Entry user ${user.id}` })
      .locator("dt", { hasText: "Version" })
      .locator("+ dd"),
  ).toContainText("v1");
});
