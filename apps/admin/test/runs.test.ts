import { describe, expect, it } from "vitest";
import { bucketLabels, explainRun, thinLabels } from "../src/lab/runs.js";

const part = { instanceId: "a", url: "http://a", calls: 100, dbLoads: 0, coalesced: 0, lockWaits: 0, lockTimeouts: 0, errors: 0 };
const base = { concurrency: 100, dbLoads: 1, coalesced: 99, lockWaits: 0, errors: 0, instances: [part as never] };

describe("explainRun", () => {
  it("says what happened in one sentence per mode", () => {
    expect(explainRun({ ...base, mode: "none", dbLoads: 100, coalesced: 0 })).toBe(
      "No protection: every call that missed went to Postgres on its own, so 100 concurrent calls made 100 database loads.",
    );
    expect(explainRun({ ...base, mode: "local" })).toContain("shared one load, so 1 database load served 100 calls");
    expect(explainRun({ ...base, mode: "local", dbLoads: 3, instances: [part, part, part] as never[] })).toContain(
      "3 instances made 3 database loads",
    );
    expect(explainRun({ ...base, mode: "distributed", coalesced: 60, lockWaits: 39 })).toBe(
      "Distributed lock: one caller in the whole cluster loaded (1 database load); 60 calls joined it in their process and 39 calls waited on the Redis lock, then read the value from Redis.",
    );
  });

  it("mentions failed calls", () => {
    expect(explainRun({ ...base, mode: "none", errors: 2 })).toMatch(/2 calls failed\.$/);
  });
});

describe("bucketLabels", () => {
  it("labels each bound and the overflow bucket", () => {
    expect(bucketLabels([1, 250, 2_500])).toEqual(["≤1", "≤250", "≤2.5s", ">2.5s"]);
  });
});

describe("thinLabels", () => {
  const labels = ["≤1", "≤10", "≤100", "≤2.5s", ">5s"];
  const widths = [15, 22, 31, 34, 22];

  it("keeps every label when the slots are wide enough", () => {
    expect(thinLabels(labels, widths, 40)).toEqual(labels);
  });

  it("keeps every n-th label (the first always) so that the widest clears its neighbour", () => {
    expect(thinLabels(labels, widths, 19)).toEqual(["≤1", "", "≤100", "", ">5s"]);
    expect(thinLabels(labels, widths, 12)).toEqual(["≤1", "", "", "", ">5s"]);
  });

  it("keeps only the first with no room at all", () => {
    expect(thinLabels(labels, widths, 0)).toEqual(["≤1", "", "", "", ""]);
  });
});
