import { expect, test } from "./fixtures.js";
import { drawnLabels, recordCanvasText } from "./support/canvas-labels.js";

/**
 * The latency chart keeps its history while the tab is open; away from the dashboard nothing is sampled.
 * Back on it, the line must break over the time away rather than join the points on either side. Read
 * from the canvas: the time axis labels (recorded with their boxes) map time to pixels, then the pixel
 * column in the middle of the gap must hold no series colour, while one between two sampled points does.
 */
const SERIES_COLOURS: [number, number, number][] = [
  [0x00, 0x9e, 0x73], // p50
  [0xcc, 0x79, 0xa7], // p99
];

async function seriesPixelsAt(page: import("@playwright/test").Page, atMs: number): Promise<number> {
  return page.evaluate(
    ({ atMs, colours }) => {
      const figure = Array.from(document.querySelectorAll("figure.chart")).find((f) => f.textContent?.includes("p50 and p99"));
      const canvas = figure?.querySelector("canvas") as
        | (HTMLCanvasElement & { __drawnLabels?: { text: string; left: number; right: number }[] })
        | null;
      const over = figure?.querySelector(".u-over");
      if (!canvas || !over) throw new Error("no latency chart");
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const secondsOfDay = (ms: number) => {
        const d = new Date(ms);
        return d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds() + d.getMilliseconds() / 1000;
      };
      const ticks = (canvas.__drawnLabels ?? [])
        .filter((label) => /^\d\d:\d\d:\d\d$/.test(label.text))
        .map((label) => {
          const [h, m, s] = label.text.split(":").map(Number) as [number, number, number];
          return { t: h * 3600 + m * 60 + s, x: (label.left + label.right) / 2 };
        });
      const first = ticks[0];
      const last = ticks[ticks.length - 1];
      if (!first || !last || last.t === first.t) throw new Error(`too few time labels: ${JSON.stringify(ticks)}`);
      const x = Math.round(first.x + ((secondsOfDay(atMs) - first.t) * (last.x - first.x)) / (last.t - first.t));
      const plot = over.getBoundingClientRect();
      const box = canvas.getBoundingClientRect();
      const top = Math.floor((plot.top - box.top) * ratio);
      const height = Math.floor(plot.height * ratio);
      const context = canvas.getContext("2d") as CanvasRenderingContext2D;
      // Three columns wide, so a line that crosses between two device pixels is still caught.
      const pixels = context.getImageData(x - 1, top, 3, height).data;
      let count = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const [r = 0, g = 0, b = 0, a = 0] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
        if (a > 100 && colours.some(([cr, cg, cb]) => Math.abs(r - cr) < 60 && Math.abs(g - cg) < 60 && Math.abs(b - cb) < 60)) count++;
      }
      return count;
    },
    { atMs, colours: SERIES_COLOURS },
  );
}

test("the latency chart breaks its lines over the time the dashboard was not open", async ({ adminPage: page, user, api }) => {
  test.setTimeout(60_000);
  await recordCanvasText(page);
  await page.goto("/#/dashboard");
  const now = () => page.evaluate(() => Date.now());
  const arrived = await now();
  for (let i = 0; i < 4; i++) await api("query", "user.byId", { id: user.id });
  // Four seconds of samples (one a second), then away.
  await expect.poll(now, { timeout: 10_000 }).toBeGreaterThan(arrived + 4_000);
  const left = await now();
  await page.goto("/#/users");
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect.poll(now, { timeout: 20_000 }).toBeGreaterThan(left + 10_000);
  const back = await now();
  await page.goto("/#/dashboard");
  await expect(page.getByRole("img", { name: /p50 and p99 of cache calls/ })).toBeVisible();
  // A few samples after the gap, and at least two time labels to measure with.
  await expect.poll(now, { timeout: 10_000 }).toBeGreaterThan(back + 4_000);
  await expect
    .poll(async () => (await drawnLabels(page, "figure.chart"))[1]?.labels.filter((label) => /:\d\d$/.test(label.text)).length ?? 0)
    .toBeGreaterThanOrEqual(2);

  expect(await seriesPixelsAt(page, left - 1_500), "a line between two samples before leaving").toBeGreaterThan(0);
  expect(await seriesPixelsAt(page, (left + back) / 2), "a line drawn across the time away").toBe(0);
});
