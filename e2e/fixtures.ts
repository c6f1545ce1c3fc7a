import { randomBytes } from "node:crypto";
import { test as base, expect, type Page } from "@playwright/test";
import { call, type SeededUser } from "./support/api.js";
import { E2E } from "./support/env.js";

interface Fixtures {
  /** A user made through the API for this test, deleted afterwards. */
  user: SeededUser;
  /** Makes more users like `user`; each is deleted after the test. */
  makeUser: (displayName?: string) => Promise<SeededUser>;
  /** A page already signed in (the token in sessionStorage, as the sign-in form leaves it). */
  adminPage: Page;
  /** Runs a query or mutation on the API as the admin. */
  api: <T>(kind: "query" | "mutation", path: string, input?: unknown, port?: number) => Promise<T>;
}

export const test = base.extend<Fixtures>({
  api: async ({ request }, use) => {
    await use((kind, path, input, port) => call(request, kind, path, input, port ? `http://127.0.0.1:${port}` : undefined));
  },
  makeUser: async ({ api }, use) => {
    const made: number[] = [];
    await use(async (displayName = "E2E Person") => {
      const tag = randomBytes(4).toString("hex");
      const user = await api<SeededUser>("mutation", "user.create", {
        username: `e2e-${tag}`,
        email: `e2e-${tag}@example.com`,
        displayName,
        bio: "Made by a Playwright fixture.",
      });
      made.push(user.id);
      return user;
    });
    for (const id of made) await api("mutation", "user.delete", { id }).catch(() => undefined); // already deleted by the test
  },
  user: async ({ makeUser }, use) => {
    await use(await makeUser());
  },
  adminPage: async ({ page }, use) => {
    await page.addInitScript((token) => sessionStorage.setItem("hoard.adminToken", token), E2E.adminToken);
    // The API sends a strict Content-Security-Policy: whatever it blocks, Chromium reports here, and the test fails.
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await use(page);
    expect(violations, "Content-Security-Policy violations").toEqual([]);
  },
});

export { expect };

/** The number in "1,234 total" (or "1,234 lookups") inside the stat named `label`. */
export async function statTotal(page: Page, label: string): Promise<number> {
  const text = (await page.getByRole("group", { name: label, exact: true }).textContent()) ?? "";
  const match = /([\d,]+) (total|lookups)/.exec(text);
  if (!match?.[1]) throw new Error(`stat ${label} has no total: ${text}`);
  return Number(match[1].replaceAll(",", ""));
}

/** The big number of the stat named `label`. */
export async function statValue(page: Page, label: string): Promise<string> {
  return (await page.getByRole("group", { name: label, exact: true }).locator(".stat-value").textContent()) ?? "";
}
