import { expect, test } from "./fixtures.js";
import { clipped, drawnLabels, overlaps, recordCanvasText } from "./support/canvas-labels.js";

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
    await expect
      .poll(async () => (await drawnLabels(page, "figure.chart")).map((chart) => chart.labels.length), { timeout: 20_000 })
      .toEqual([expect.any(Number), expect.any(Number)]);
    await expect
      .poll(async () => Math.min(...(await drawnLabels(page, "figure.chart")).map((chart) => chart.labels.length)), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(4);
    for (const chart of await drawnLabels(page, "figure.chart")) {
      expect(overlaps(chart.labels), `overlapping labels: ${JSON.stringify(chart.labels)}`).toEqual([]);
      expect(clipped(chart)).toEqual([]);
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
