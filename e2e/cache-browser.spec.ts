import { expect, test } from "./fixtures.js";

test("the cache browser lists entries with TTL counting down, invalidates one and clears the namespace", async ({
  adminPage: page,
  makeUser,
  api,
}) => {
  const [first, second] = [await makeUser(), await makeUser()];
  const missing = 1_900_000_000 + Math.floor(Math.random() * 10_000_000);
  for (const id of [first.id, second.id, missing]) await api("query", "user.byId", { id });

  await page.goto("/#/cache");
  const namespaces = page.getByRole("table", { name: "Namespaces" });
  await expect(namespaces.getByRole("row", { name: /^user v1/ })).toBeVisible();

  const entries = page.getByRole("table", { name: "Entries in L2" });
  const firstRow = entries.getByRole("row", { name: new RegExp(`\\{${first.id}\\}`) });
  await expect(firstRow).toBeVisible();
  await expect(entries.getByRole("row", { name: new RegExp(`\\{${missing}\\}`) })).toContainText("negative");
  // The remaining time counts down between two reads.
  const before = (await firstRow.getByRole("cell").nth(3).textContent()) ?? "";
  await expect.poll(async () => (await firstRow.getByRole("cell").nth(3).textContent()) ?? "", { timeout: 5_000 }).not.toBe(before);

  await entries.getByRole("button", { name: `Invalidate user ${first.id}`, exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: `Invalidated user ${first.id}` })).toBeVisible();
  await expect(firstRow).toHaveCount(0);
  await expect(entries.getByRole("row", { name: new RegExp(`\\{${second.id}\\}`) })).toBeVisible();

  // Clearing asks first; cancelling keeps everything.
  await page.getByRole("button", { name: "Clear user", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Clear namespace user?" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(entries.getByRole("row", { name: new RegExp(`\\{${second.id}\\}`) })).toBeVisible();

  await page.getByRole("button", { name: "Clear user", exact: true }).click();
  await dialog.getByRole("button", { name: "Clear namespace" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Cleared namespace user" })).toBeVisible();
  await expect(page.getByText("Nothing cached in Redis for this namespace")).toBeVisible();

  await page.getByRole("radio", { name: "L1 (this instance)" }).check();
  await expect(page.getByText("Nothing cached in this instance's L1 for this namespace")).toBeVisible();
});
