import { expect, test } from "./fixtures.js";

test("a lookup after an edit says it missed because of the edit's invalidation", async ({ adminPage: page, user }) => {
  await page.goto("/#/users");
  const result = page.getByRole("status", { name: "Lookup result" });
  await page.getByLabel("User id").fill(String(user.id));
  await page.getByRole("button", { name: "Look up", exact: true }).click();
  await page.getByRole("button", { name: "Look up", exact: true }).click();
  await expect(result).toContainText(`User ${user.id}: L1`);
  await expect(result).not.toContainText("Why it missed");

  await page.getByRole("button", { name: `Edit ${user.username}` }).click();
  const dialog = page.getByRole("dialog", { name: `Edit ${user.username}` });
  await dialog.getByLabel("Display name").fill("Edited For Miss");
  await dialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("button", { name: `Look up user ${user.id} now` }).click();
  await expect(result).toContainText(`User ${user.id}: Database`);
  await expect(result).toContainText(`Why it missed: you saved user ${user.id}`);
  await expect(result).toContainText("published an invalidation on the bus");
});
