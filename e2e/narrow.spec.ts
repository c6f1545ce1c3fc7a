import { expect, test } from "./fixtures.js";

const PAGES = [
  ["dashboard", "Dashboard"],
  ["users", "Users"],
  ["cache", "Cache browser"],
  ["lab", "Stampede lab"],
] as const;

test("at 375 px every table action is on screen, keys are not wrapped a character a line, and scrolling regions take focus", async ({
  adminPage: page,
  user,
  api,
}) => {
  await api("query", "user.byId", { id: user.id });
  await page.setViewportSize({ width: 375, height: 800 });
  for (const [route, heading] of PAGES) {
    await page.goto(`/#/${route}`);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: /^Loading/ })).toHaveCount(0);
    if (route === "users") await expect(page.getByRole("table", { name: "Users" })).toBeVisible();
    if (route === "cache") await expect(page.getByRole("table", { name: "Entries in L2" })).toBeVisible();

    const offscreen = await page.evaluate(() =>
      Array.from(document.querySelectorAll("table button"))
        .map((button) => ({ name: button.getAttribute("aria-label") ?? button.textContent, box: button.getBoundingClientRect() }))
        .filter(({ box }) => box.left < 0 || box.right > window.innerWidth)
        .map(({ name }) => name),
    );
    expect(offscreen, `${route}: actions off screen`).toEqual([]);

    const narrowKeys = await page.evaluate(() =>
      Array.from(document.querySelectorAll("code"))
        .map((code) => ({ text: code.textContent ?? "", width: code.getBoundingClientRect().width }))
        .filter(({ text, width }) => text.length > 8 && width < 70)
        .map(({ text }) => text),
    );
    expect(narrowKeys, `${route}: keys squeezed into a sliver`).toEqual([]);

    const unfocusable = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>("body *"))
        .filter((element) => {
          const style = getComputedStyle(element);
          const scrolls =
            (element.scrollWidth > element.clientWidth + 1 && /(auto|scroll)/.test(style.overflowX)) ||
            (element.scrollHeight > element.clientHeight + 1 && /(auto|scroll)/.test(style.overflowY));
          return scrolls && element.tabIndex < 0 && element !== document.body;
        })
        .map((element) => element.className || element.tagName),
    );
    expect(unfocusable, `${route}: scrollable regions without focus`).toEqual([]);
  }
});

test("the app has a favicon and production serves no source maps", async ({ page, request }) => {
  await page.goto("/");
  const icon = page.locator('link[rel="icon"]');
  await expect(icon).toHaveAttribute("href", "/favicon.svg");
  const favicon = await request.get("/favicon.svg");
  expect(favicon.status()).toBe(200);
  expect(favicon.headers()["content-type"]).toContain("image/svg+xml");

  const scripts = await page
    .locator("script[src]")
    .evaluateAll((elements) => elements.map((element) => (element as HTMLScriptElement).src));
  expect(scripts.length).toBeGreaterThan(0);
  for (const src of scripts) {
    const body = await (await request.get(src)).text();
    expect(body, `${src} points at a source map`).not.toContain("sourceMappingURL");
    expect((await request.get(`${src}.map`)).status(), `${src}.map is served`).toBe(404);
  }
});

test("a panel that says it retries on its own does: the list comes back without a click", async ({ adminPage: page, user }) => {
  // Queries are batched (`/trpc/cache.stats,user.list?batch=1`): refuse every batch that carries the list.
  const carriesList = (url: URL) => url.pathname.includes("user.list");
  await page.route(carriesList, (route) => route.abort("connectionrefused"));
  await page.goto("/#/users");
  const panel = page.getByRole("region", { name: "Users", exact: true });
  await expect(panel.getByRole("alert")).toContainText("retries on its own");
  await page.unroute(carriesList);
  await expect(panel.getByRole("table", { name: "Users" })).toBeVisible({ timeout: 10_000 });
  await expect(panel.getByRole("cell", { name: user.username, exact: true })).toBeVisible();
  await expect(panel.getByRole("alert")).toHaveCount(0);
});
