import { afterEach, describe, expect, it, vi } from "vitest";
import { coarseSystemClock, DENSE_READINGS } from "../../src/time/clock.js";

describe("the coarse system clock", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("reads Date.now on every call and arms no timer while calls are sparse", () => {
    let ms = 1_000_000;
    const reads = vi.spyOn(Date, "now").mockImplementation(() => ms++);
    const timers = vi.spyOn(globalThis, "setTimeout");
    const clock = coarseSystemClock();
    for (let i = 0; i < 5_000; i++) expect(clock.now()).toBe(1_000_000 + i);
    expect(reads).toHaveBeenCalledTimes(5_000);
    expect(timers).not.toHaveBeenCalled();
  });

  it("arms no timer at a serial L2 hit's pace (a few readings per millisecond)", () => {
    let calls = 0;
    vi.spyOn(Date, "now").mockImplementation(() => 1_000_000 + Math.floor(calls++ / (DENSE_READINGS / 2)));
    const timers = vi.spyOn(globalThis, "setTimeout");
    const clock = coarseSystemClock();
    for (let i = 0; i < 5_000; i++) clock.now();
    expect(timers).not.toHaveBeenCalled();
  });

  it("once calls are dense, serves at most 1 024 calls from one reading, even in a loop no timer can interrupt", () => {
    const reads = vi.spyOn(Date, "now").mockReturnValue(1_000_000);
    const timers = vi.spyOn(globalThis, "setTimeout");
    const clock = coarseSystemClock();
    for (let i = 0; i < DENSE_READINGS; i++) clock.now();
    expect(reads).toHaveBeenCalledTimes(DENSE_READINGS);
    expect(timers).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 1_024 - 1; i++) clock.now();
    expect(reads).toHaveBeenCalledTimes(DENSE_READINGS);
    clock.now();
    expect(reads).toHaveBeenCalledTimes(DENSE_READINGS + 1);
    expect(timers).toHaveBeenCalledTimes(1);
  });

  it("reads again after the next millisecond tick", async () => {
    const clock = coarseSystemClock();
    let first = 0;
    for (let i = 0; i < DENSE_READINGS * 4; i++) first = clock.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toBeGreaterThan(first);
  });
});
