import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.js";

async function lookUp(page: Page, id: number) {
  await page.getByLabel("User id").fill(String(id));
  await page.getByRole("button", { name: "Look up", exact: true }).click();
}

test("a lookup comes from the database, the next from L1", async ({ adminPage: page, user, api }) => {
  await page.goto("/#/users");
  // The list on this page reads its profiles through the cache too: start from a cold key.
  await expect(page.getByRole("table", { name: "Users" })).toBeVisible();
  await api("mutation", "cache.invalidate", { namespace: "user", id: user.id });
  const result = page.getByRole("status", { name: "Lookup result" });
  await lookUp(page, user.id);
  await expect(result).toContainText(`User ${user.id}: Database`);
  await expect(result).toContainText(user.username);
  await lookUp(page, user.id);
  await expect(result).toContainText(`User ${user.id}: L1`);
  const history = page.getByRole("table", { name: "Lookup history" });
  await expect(history.getByRole("row")).toHaveCount(3);
  await expect(history.getByRole("row").nth(1)).toContainText("L1");
  await expect(history.getByRole("row").nth(2)).toContainText("Database");
});

test("editing a user invalidates its entry: it leaves the cache browser and the next read comes from the database", async ({
  adminPage: page,
  user,
}) => {
  await page.goto("/#/users");
  const result = page.getByRole("status", { name: "Lookup result" });
  await lookUp(page, user.id);
  await lookUp(page, user.id);
  await expect(result).toContainText(`User ${user.id}: L1`);

  await page.goto("/#/cache");
  const entries = page.getByRole("table", { name: "Entries in L2" });
  await expect(entries.getByRole("row", { name: new RegExp(`\\{${user.id}\\}`) })).toBeVisible();

  await page.goto("/#/users");
  await page.getByRole("button", { name: `Edit ${user.username}` }).click();
  const dialog = page.getByRole("dialog", { name: `Edit ${user.username}` });
  await dialog.getByLabel("Display name").fill("Edited By Playwright");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status").filter({ hasText: `Saved user ${user.id}` })).toBeVisible();

  await page.goto("/#/cache");
  await expect(page.getByRole("region", { name: "Entries of user" })).toBeVisible();
  await expect(page.getByRole("row", { name: new RegExp(`\\{${user.id}\\}`) })).toHaveCount(0);

  await page.goto("/#/users");
  await lookUp(page, user.id);
  await expect(result).toContainText(`User ${user.id}: Database`);
  await expect(result).toContainText("Edited By Playwright");
});

test("a missing id is a negative hit after its first lookup", async ({ adminPage: page }) => {
  const missing = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
  await page.goto("/#/users");
  const result = page.getByRole("status", { name: "Lookup result" });
  await lookUp(page, missing);
  await expect(result).toContainText(`User ${missing}: Database`);
  await expect(result).toContainText("no such user: absence now cached");
  await lookUp(page, missing);
  await expect(result).toContainText(`User ${missing}: L1`);
  await expect(result).toContainText("negative hit: no such user");
});

test("create and delete a user from the page", async ({ adminPage: page, api }) => {
  const tag = Date.now().toString(36);
  await page.goto("/#/users");
  const form = page.getByRole("region", { name: "New user" });
  await form.getByLabel("Username").fill(`made-${tag}`);
  await form.getByLabel("Email").fill(`made-${tag}@example.com`);
  await form.getByLabel("Display name").fill("Made In The UI");
  await form.getByRole("button", { name: "Create user" }).click();
  const created = page.getByRole("status").filter({ hasText: /Created user \d+/ });
  await expect(created).toBeVisible();
  const id = Number(/Created user (\d+)/.exec((await created.textContent()) ?? "")?.[1]);

  // A duplicate is refused with the API's message.
  await form.getByLabel("Username").fill(`made-${tag}`);
  await form.getByLabel("Email").fill(`made-${tag}@example.com`);
  await form.getByLabel("Display name").fill("Again");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByRole("alert")).toContainText("already taken");

  // Find it in the paged list (newest ids come last), then delete it with confirmation.
  const users = page.getByRole("table", { name: "Users" });
  const deleteButton = users.getByRole("button", { name: `Delete made-${tag}`, exact: true });
  const nextPage = page.getByRole("button", { name: "Next page" });
  await expect(async () => {
    if ((await deleteButton.count()) === 0 && (await nextPage.isEnabled())) await nextPage.click();
    await expect(deleteButton).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await deleteButton.click();
  const confirm = page.getByRole("dialog", { name: `Delete made-${tag}?` });
  await confirm.getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Deleted user ${id}` })).toBeVisible();
  expect(await api("query", "user.byId", { id })).toBeNull();
});
