import { useMemo } from "react";
import uPlot from "uplot";
import { Chart, COLOURS } from "../components/Chart.js";
import { duration } from "../format.js";
import type { StampedeRun } from "../trpc.js";
import { bucketLabels, thinLabels } from "./runs.js";

/** The axis font, set explicitly so the labels can be measured before they are drawn. */
const AXIS_FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/** Drawn widths of `labels` in CSS px at {@link AXIS_FONT}. */
function labelWidths(labels: readonly string[]): number[] {
  const context = document.createElement("canvas").getContext("2d");
  if (!context) return labels.map((label) => label.length * 8);
  context.font = AXIS_FONT;
  return labels.map((label) => context.measureText(label).width);
}

/** Call latencies of a run as bars per bucket. */
export function Histogram({ histogram }: { histogram: StampedeRun["histogram"] }) {
  const labels = useMemo(() => bucketLabels(histogram.boundsMs), [histogram.boundsMs]);
  const widths = useMemo(() => labelWidths(labels), [labels]);
  const options = useMemo(
    (): Omit<uPlot.Options, "width" | "height"> => ({
      legend: { show: false },
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [
        {},
        {
          label: "calls",
          fill: `${COLOURS.blue}cc`,
          stroke: COLOURS.blue,
          points: { show: false },
          paths: uPlot.paths.bars?.({ size: [0.7, 80] }),
        },
      ],
      axes: [
        {
          splits: () => labels.map((_, i) => i),
          // At 375 px thirteen buckets leave ~19 px each: label every n-th so that none overlaps its neighbour.
          values: (u, splits) => {
            const shown = thinLabels(labels, widths, u.bbox.width / uPlot.pxRatio / labels.length);
            return splits.map((i) => shown[i] ?? "");
          },
          size: 40,
          gap: 4,
          font: AXIS_FONT,
        },
        { size: 50, font: AXIS_FONT },
      ],
    }),
    [labels, widths],
  );
  const data = useMemo((): uPlot.AlignedData => [histogram.counts.map((_, i) => i), histogram.counts], [histogram.counts]);
  const busiest = histogram.counts.reduce((best, value, i) => (value > (histogram.counts[best] ?? 0) ? i : best), 0);
  return (
    <Chart
      title="Call latency histogram (calls per bucket, upper bounds in ms)"
      summary={`most calls took ${labels[busiest]}${(histogram.boundsMs[busiest] ?? 1000) < 1000 ? " ms" : ""}; p50 ${duration(histogram.p50Ms)}, p95 ${duration(histogram.p95Ms)}, slowest ${duration(histogram.maxMs)}`}
      options={options}
      data={data}
      height={180}
    />
  );
}
