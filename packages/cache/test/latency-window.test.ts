import { describe, expect, it } from "vitest";
import { LatencyWindow } from "../src/observability/latency-window.js";

describe("LatencyWindow", () => {
  it("sorts once per new sample: a repeated summary is the same, a new sample shows at once", () => {
    const window = new LatencyWindow(4);
    for (const ms of [5, 1, 3]) window.record(ms);
    const first = window.summary();
    expect(first).toEqual({ count: 3, p50: 3, p95: 5, p99: 5 });
    // A caller that changes its copy does not change the next one.
    first.p50 = 99;
    expect(window.summary()).toEqual({ count: 3, p50: 3, p95: 5, p99: 5 });
    window.record(100);
    expect(window.summary()).toMatchObject({ count: 4, p99: 100 });
    // The ring drops the oldest (5, then 1): the summary follows.
    window.record(0);
    window.record(0);
    expect(window.summary()).toMatchObject({ count: 6, p99: 100, p50: 0 });
  });

  it("summarizes an empty window as zeros", () => {
    expect(new LatencyWindow().summary()).toEqual({ count: 0, p50: 0, p95: 0, p99: 0 });
  });
});
