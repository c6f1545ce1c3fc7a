import { expect, test } from "./fixtures.js";
import { E2E } from "./support/env.js";

// The built admin UI under the API's security headers (point 9): every page renders with the strict CSP
// (the adminPage fixture fails a test on any CSP violation Chromium reports), and the dashboard still
// reads the dependencies from /readyz, whose details need a token (METRICS_TOKEN is set for this suite).
test("the built admin UI works under the API's Content-Security-Policy, and the dashboard reads /readyz details", async ({
  adminPage: page,
}) => {
  const response = await page.goto("/#/dashboard");
  const headers = response?.headers() ?? {};
  expect(headers["content-security-policy"]).toContain("script-src 'self'");
  expect(headers["content-security-policy"]).not.toContain("unsafe-inline");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Live instances" })).toBeVisible();
  for (const route of ["users", "cache", "lab", "dashboard"]) {
    await page.goto(`/#/${route}`);
    await expect(page.locator("main h1")).toBeVisible();
  }
  // Without a token /readyz gives the status only; the page asked with the admin token and shows Postgres.
  const anonymous = await page.request.get("/readyz");
  expect(await anonymous.json()).not.toHaveProperty("postgres");
  const withToken = await page.request.get("/readyz", { headers: { authorization: `Bearer ${E2E.metricsToken}` } });
  expect(await withToken.json()).toMatchObject({ postgres: { state: "up" } });
  await expect(page.getByText(/postgres/i).first()).toBeVisible();
});
