import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.js";
import type { SeededUser } from "./support/api.js";
import { type OwnCluster, startOwnCluster } from "./support/cluster.js";

/**
 * The profile write policy, seen from the Users page: with `invalidate` (the suite's shared instances) the
 * lookup after an edit comes from the database; with `write-through` (a cluster of its own, two instances,
 * PROFILE_WRITE_POLICY=write-through) it comes from the cache and already shows the edit.
 */
let cluster: OwnCluster;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startOwnCluster("writethrough", 2, 30, { PROFILE_WRITE_POLICY: "write-through" });
});

test.afterAll(async () => {
  await cluster?.close();
});

async function lookUp(page: Page, id: number) {
  await page.getByLabel("User id").fill(String(id));
  await page.getByRole("button", { name: "Look up", exact: true }).click();
}

async function edit(page: Page, user: SeededUser, displayName: string) {
  await page.getByRole("button", { name: `Edit ${user.username}` }).click();
  const dialog = page.getByRole("dialog", { name: `Edit ${user.username}` });
  await dialog.getByLabel("Display name").fill(displayName);
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
}

test("invalidate: the page shows the policy, and the lookup after an edit comes from the database", async ({ adminPage: page, user }) => {
  await page.goto("/#/users");
  await expect(page.getByText("Write policy: invalidate.")).toBeVisible();
  const result = page.getByRole("status", { name: "Lookup result" });
  await lookUp(page, user.id);
  await lookUp(page, user.id);
  await expect(result).toContainText(`User ${user.id}: L1`);
  await edit(page, user, "Invalidated Edit");
  await expect(page.getByRole("status").filter({ hasText: `Saved user ${user.id}` })).toContainText(
    "the next read comes from the database",
  );
  await lookUp(page, user.id);
  await expect(result).toContainText(`User ${user.id}: Database`);
  await expect(result).toContainText("Invalidated Edit");
});

test("write-through: the lookup after an edit comes from the cache and shows the edit, on the other instance too", async ({
  adminPage: page,
  api,
}) => {
  const [first, second] = cluster.ports as [number, number];
  const user = await api<SeededUser>(
    "mutation",
    "user.create",
    { username: "written-through", email: "written-through@example.com", displayName: "Before", bio: "" },
    first,
  );
  await page.goto(`${cluster.urlOf(0)}/#/users`);
  await expect(page.getByText("Write policy: write-through.")).toBeVisible();
  const result = page.getByRole("status", { name: "Lookup result" });
  await lookUp(page, user.id);
  await expect(result).toContainText(`User ${user.id}:`);
  await edit(page, user, "Written Through");
  await expect(page.getByRole("status").filter({ hasText: `Saved user ${user.id}` })).toContainText("the next read comes from the cache");
  await lookUp(page, user.id);
  await expect(result).toContainText(`User ${user.id}: L1`);
  await expect(result).toContainText("Written Through");
  const history = page.getByRole("table", { name: "Lookup history" });
  await expect(history.getByRole("row").nth(1)).toContainText("L1");
  // The other instance dropped its copy through the bus and reads the new row from L2, not from Postgres.
  await expect
    .poll(async () => api<{ source: string; user: { displayName: string } }>("query", "inspect.lookup", { id: user.id }, second))
    .toMatchObject({ source: expect.stringMatching(/^l[12]$/), user: { displayName: "Written Through" } });
});
