import { expect, test } from "./fixtures.js";
import { clipped, type DrawnLabel, drawnLabels, overlaps, recordCanvasText } from "./support/canvas-labels.js";

/** Time labels (HH:MM:SS, the page's local time) more than 5 minutes from `nowMs`: a chart scaled to the wrong range. */
function farFromNow(labels: DrawnLabel[], nowMs: number): string[] {
  const now = new Date(nowMs);
  const nowSeconds = now.getHours() * 3600 + now.getMinutes() * 60 + now.getSeconds();
  return labels
    .filter((label) => /^\d\d:\d\d:\d\d$/.test(label.text))
    .filter((label) => {
      const [h, m, s] = label.text.split(":").map(Number) as [number, number, number];
      const gap = Math.abs(h * 3600 + m * 60 + s - nowSeconds);
      return Math.min(gap, 86_400 - gap) > 300;
    })
    .map((label) => label.text);
}

/**
 * The charts' axis labels, measured: every label uPlot draws is recorded with its box (measureText at the
 * canvas transform) and no two boxes of one frame may overlap, nor reach past the canvas, at 375 and 1280 px.
 */
for (const width of [375, 1280]) {
  test(`chart axis labels do not overlap or clip at ${width} px (dashboard charts and the lab histogram)`, async ({
    adminPage: page,
    user,
    api,
  }) => {
    test.setTimeout(60_000);
    await recordCanvasText(page);
    await page.setViewportSize({ width, height: 900 });
    await page.goto("/#/dashboard");
    // A few seconds of history, so both time axes carry several labels and the value axes a few steps.
    for (let i = 0; i < 6; i++) await api("query", "user.byId", { id: user.id });
    const charts = page.locator("figure.chart");
    await expect(charts).toHaveCount(2);
    // The first frames too: the latency chart starts with a single point.
    await expect
      .poll(async () => Math.min(...(await drawnLabels(page, "figure.chart")).map((chart) => chart.labels.length)))
      .toBeGreaterThan(0);
    const now = await page.evaluate(() => Date.now());
    for (const chart of await drawnLabels(page, "figure.chart")) {
      expect(overlaps(chart.labels), `overlapping labels: ${JSON.stringify(chart.labels)}`).toEqual([]);
      expect(clipped(chart)).toEqual([]);
      expect(farFromNow(chart.labels, now), "time labels outside the last 5 minutes").toEqual([]);
    }
    await expect
      .poll(async () => (await drawnLabels(page, "figure.chart")).map((chart) => chart.labels.length), { timeout: 20_000 })
      .toEqual([expect.any(Number), expect.any(Number)]);
    await expect
      .poll(async () => Math.min(...(await drawnLabels(page, "figure.chart")).map((chart) => chart.labels.length)), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(4);
    for (const chart of await drawnLabels(page, "figure.chart")) {
      expect(overlaps(chart.labels), `overlapping labels: ${JSON.stringify(chart.labels)}`).toEqual([]);
      expect(clipped(chart)).toEqual([]);
      expect(farFromNow(chart.labels, await page.evaluate(() => Date.now())), "time labels outside the last 5 minutes").toEqual([]);
    }

    await page.goto("/#/lab");
    await page.getByLabel("Concurrent calls").fill("40");
    await page.getByLabel("Database latency (ms)").fill("50");
    await page.getByLabel("User id (blank: the first user)").fill(String(user.id));
    await page.getByRole("button", { name: "Run stampede" }).click();
    const histogram = page.getByRole("img", { name: /Call latency histogram/ });
    await expect(histogram).toBeVisible({ timeout: 20_000 });
    await expect.poll(async () => (await drawnLabels(page, "figure.chart"))[0]?.labels.length ?? 0).toBeGreaterThanOrEqual(4);
    for (const chart of await drawnLabels(page, "figure.chart")) {
      expect(overlaps(chart.labels), `overlapping labels: ${JSON.stringify(chart.labels)}`).toEqual([]);
      expect(clipped(chart)).toEqual([]);
    }
    await api("mutation", "lab.setDbLatency", { ms: 0 });
  });
}
