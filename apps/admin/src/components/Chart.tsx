import { useEffect, useRef } from "react";
import uPlot from "uplot";

/**
 * A uPlot chart that follows its container's width. `options` are read once per
 * identity (memoize them); `data` updates in place. `summary` is what screen readers
 * get instead of the canvas, so it should say the numbers that matter.
 */
export function Chart({
  title,
  summary,
  options,
  data,
  height = 200,
}: {
  title: string;
  summary: string;
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
  height?: number;
}) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const created = new uPlot({ ...options, width: Math.max(element.clientWidth, 200), height }, latest.current, element);
    plot.current = created;
    const resize = new ResizeObserver(() => created.setSize({ width: Math.max(element.clientWidth, 200), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={container} role="img" aria-label={`${title}: ${summary}`} />
    </figure>
  );
}

/** Colours that stay apart for the common colour-vision deficiencies (Okabe-Ito). */
export const COLOURS = {
  blue: "#0072B2",
  orange: "#E69F00",
  green: "#009E73",
  red: "#D55E00",
  purple: "#CC79A7",
  sky: "#56B4E9",
  grey: "#666666",
} as const;
