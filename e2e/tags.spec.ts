import { expect, test } from "./fixtures.js";
import { E2E } from "./support/env.js";

// The list page user.list caches (namespace user-list, id "cursor:limit"), tagged users:list.
const PAGE = { cursor: 0, limit: 20 };
const PAGE_ID = `${PAGE.cursor}:${PAGE.limit}`;

test("a cached list page shows its tag; invalidating the tag from the entry view drops it on every instance", async ({
  adminPage: page,
  user,
  api,
}) => {
  // Cached on both instances: the first loads it, the second takes it from L2 into its own L1.
  await api("query", "user.list", PAGE, E2E.ports[0]);
  await api("query", "user.list", PAGE, E2E.ports[1]);

  await page.goto("/#/cache");
  const namespaces = page.getByRole("table", { name: "Namespaces" });
  await namespaces.getByRole("button", { name: "Browse user-list" }).click();
  const entries = page.getByRole("table", { name: "Entries in L2" });
  await expect(entries.getByRole("row", { name: new RegExp(`\\{${PAGE_ID.replace(":", "%3A")}\\}`) })).toContainText("users:list");

  await page.getByLabel("Id or key").fill(PAGE_ID);
  await page.getByRole("button", { name: "Open entry" }).click();
  const entry = page.getByRole("region", { name: `Entry user-list ${PAGE_ID}` });
  await expect(entry.getByRole("list", { name: "Tags" })).toContainText("users:list");
  await expect(entry.getByRole("table", { name: "L1 copies per instance" }).getByRole("row").filter({ hasText: "yes" })).toHaveCount(2);
  await expect(entry.getByRole("region", { name: /^Decoded value/ })).toContainText(user.username);

  await entry.getByRole("button", { name: "Invalidate tag users:list" }).click();
  await expect(entry.getByRole("status")).toContainText("Invalidated tag users:list");
  await entry.getByRole("button", { name: "Refresh" }).click();
  // L1 copies are gone on both instances (the second through the bus); the Redis copy is dead until a read removes it.
  await expect(entry.locator("dt", { hasText: "Held in L1 by" }).locator("+ dd")).toHaveText("no instance");
  await expect(entry).toContainText("dead: a tag was invalidated");
  await api("query", "user.list", PAGE, E2E.ports[1]); // the next read loads the page again
  await entry.getByRole("button", { name: "Refresh" }).click();
  await expect(entry).not.toContainText("dead: a tag was invalidated");
});

test("the tag form invalidates any tag; a bad tag is refused by the server's input check", async ({ adminPage: page, api }) => {
  await api("query", "user.list", PAGE, E2E.ports[1]);
  await page.goto("/#/cache");
  const form = page.getByRole("region", { name: "Invalidate a tag" });
  await form.getByLabel("Tag").fill("users:list");
  await form.getByRole("button", { name: "Invalidate tag" }).click();
  await expect(form.getByRole("status")).toContainText("every entry carrying it is gone");
  // Dropped from instance 2's L1 (through the bus); the Redis copy is dead.
  await page.getByRole("table", { name: "Namespaces" }).getByRole("button", { name: "Browse user-list" }).click();
  await page.getByLabel("Id or key").fill(PAGE_ID);
  await page.getByRole("button", { name: "Open entry" }).click();
  const entry = page.getByRole("region", { name: `Entry user-list ${PAGE_ID}` });
  await expect(entry).toContainText("dead: a tag was invalidated");
  await expect(entry.locator("dt", { hasText: "Held in L1 by" }).locator("+ dd")).toHaveText("no instance");

  await form.getByLabel("Tag").fill("bad\ttag");
  await form.getByRole("button", { name: "Invalidate tag" }).click();
  await expect(form.getByRole("alert")).toContainText(/control characters/);
});
