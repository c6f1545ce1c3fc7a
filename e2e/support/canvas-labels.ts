import type { Page } from "@playwright/test";

/** One piece of text a canvas drew, as a box in the canvas's device pixels. */
export interface DrawnLabel {
  text: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * Records the text each canvas draws (uPlot draws its axis labels with
 * `fillText`): every call's box from `measureText` at the context's transform,
 * kept on the canvas until the next full clear (one frame). Call before `goto`.
 */
export async function recordCanvasText(page: Page): Promise<void> {
  await page.addInitScript(() => {
    type Recorded = HTMLCanvasElement & { __drawnLabels?: unknown[] };
    const proto = CanvasRenderingContext2D.prototype;
    const fillText = proto.fillText;
    const clearRect = proto.clearRect;
    proto.clearRect = function (this: CanvasRenderingContext2D, x: number, y: number, w: number, h: number) {
      const canvas = this.canvas as Recorded;
      if (x <= 0 && y <= 0 && w >= canvas.width && h >= canvas.height) canvas.__drawnLabels = [];
      clearRect.call(this, x, y, w, h);
    };
    proto.fillText = function (this: CanvasRenderingContext2D, text: string, x: number, y: number, maxWidth?: number) {
      const metrics = this.measureText(text);
      const m = this.getTransform();
      const corners = [
        [x - metrics.actualBoundingBoxLeft, y - metrics.actualBoundingBoxAscent],
        [x + metrics.actualBoundingBoxRight, y + metrics.actualBoundingBoxDescent],
      ].map(([px = 0, py = 0]) => [m.a * px + m.c * py + m.e, m.b * px + m.d * py + m.f]);
      const xs = corners.map((c) => c[0] ?? 0);
      const ys = corners.map((c) => c[1] ?? 0);
      const canvas = this.canvas as Recorded;
      canvas.__drawnLabels ??= [];
      canvas.__drawnLabels.push({ text, left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) });
      if (maxWidth === undefined) fillText.call(this, text, x, y);
      else fillText.call(this, text, x, y, maxWidth);
    };
  });
}

/** The labels of the last frame of each chart canvas under `selector`, with the canvas size. */
export function drawnLabels(page: Page, selector: string): Promise<{ width: number; height: number; labels: DrawnLabel[] }[]> {
  return page.evaluate(
    (sel) =>
      Array.from(document.querySelectorAll<HTMLCanvasElement & { __drawnLabels?: DrawnLabel[] }>(`${sel} canvas`)).map((canvas) => ({
        width: canvas.width,
        height: canvas.height,
        labels: (canvas.__drawnLabels ?? []).filter((label) => label.text.trim() !== ""),
      })),
    selector,
  );
}

/** Pairs of labels whose boxes overlap (touching edges do not count), as "a / b". */
export function overlaps(labels: DrawnLabel[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i] as DrawnLabel;
      const b = labels[j] as DrawnLabel;
      if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
        found.push(`${a.text} / ${b.text}`);
    }
  return found;
}

/** Labels that reach past the canvas's edges (clipped). */
export function clipped(chart: { width: number; height: number; labels: DrawnLabel[] }): string[] {
  return chart.labels
    .filter((label) => label.left < -0.5 || label.top < -0.5 || label.right > chart.width + 0.5 || label.bottom > chart.height + 0.5)
    .map((label) => label.text);
}
