import { afterEach, describe, expect, it, vi } from "vitest";
import { coarseSystemClock } from "../../src/time/clock.js";

describe("the coarse system clock", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("serves at most 1 024 calls from one reading, even in a loop no timer can interrupt", () => {
    const reads = vi.spyOn(Date, "now");
    const clock = coarseSystemClock();
    for (let i = 0; i < 1_024; i++) clock.now();
    expect(reads).toHaveBeenCalledTimes(1);
    clock.now();
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("reads again after the next millisecond tick", async () => {
    const clock = coarseSystemClock();
    const first = clock.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toBeGreaterThan(first);
  });
});
