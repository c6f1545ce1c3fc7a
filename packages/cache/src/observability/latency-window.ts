import { percentile } from "./percentile.js";

/** Latency percentiles over the most recent samples, in ms. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Keeps the last `capacity` samples in a ring buffer: recording is one array
 * write; percentiles are computed only when asked for (a sort of the window,
 * about 0.1 ms at 2,048 samples), and at most once per new sample.
 */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  /** Samples ever recorded. */
  total = 0;
  /** The last summary and the `total` it was computed at. */
  private summarized: { total: number; summary: LatencySummary } | undefined;

  constructor(capacity = 2048) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.samples.length;
    if (this.filled < this.samples.length) this.filled++;
    this.total++;
  }

  /** The samples recorded after the first `seen` ones (at most the last `capacity`), oldest first. */
  samplesSince(seen: number): number[] {
    const count = Math.min(this.total - seen, this.filled);
    const out: number[] = [];
    for (let i = count; i > 0; i--) out.push(this.samples[(this.next - i + this.samples.length) % this.samples.length] as number);
    return out;
  }

  summary(): LatencySummary {
    if (this.filled === 0) return { count: 0, p50: 0, p95: 0, p99: 0 };
    if (this.summarized?.total === this.total) return { ...this.summarized.summary };
    const sorted = this.samples.slice(0, this.filled).sort();
    const summary = { count: this.total, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) };
    this.summarized = { total: this.total, summary };
    return { ...summary };
  }
}
