import { useMemo } from "react";
import uPlot from "uplot";
import { Chart, COLOURS } from "../components/Chart.js";
import { duration } from "../format.js";
import type { StampedeRun } from "../trpc.js";
import { bucketLabels } from "./runs.js";

/** Call latencies of a run as bars per bucket. */
export function Histogram({ histogram }: { histogram: StampedeRun["histogram"] }) {
  const labels = useMemo(() => bucketLabels(histogram.boundsMs), [histogram.boundsMs]);
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
        { splits: () => labels.map((_, i) => i), values: (_u, splits) => splits.map((i) => labels[i] ?? ""), size: 40, gap: 4 },
        { size: 50 },
      ],
    }),
    [labels],
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
