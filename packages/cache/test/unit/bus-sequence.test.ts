import { describe, expect, it } from "vitest";
import { BusSequence, MAX_REORDER, REORDER_WINDOW_MS } from "../../src/coordination/bus-sequence.js";
import { ManualClock } from "../support/clock.js";

/** A sequence tracker whose reorder timers run only when the test says so. */
function tracker() {
  const clock = new ManualClock();
  const timers: { run: () => void; ms: number }[] = [];
  let gaps = 0;
  const sequence = new BusSequence(
    clock,
    () => gaps++,
    (run, ms) => timers.push({ run, ms }),
  );
  const fire = () => {
    for (const timer of timers.splice(0)) timer.run();
  };
  return { sequence, timers, fire, gaps: () => gaps };
}

describe("bus sequence numbers (no Redis, timers injected)", () => {
  it("in-order messages from several publishers are no gap", () => {
    const { sequence, timers, gaps } = tracker();
    for (let s = 1; s <= 10; s++) {
      sequence.track("a", s);
      sequence.track("b", 100 + s);
    }
    expect(gaps()).toBe(0);
    expect(timers).toHaveLength(0);
    expect(sequence.origins).toBe(2);
  });

  it("a skipped number that arrives within the reorder window is no gap", () => {
    const { sequence, timers, fire, gaps } = tracker();
    sequence.track("a", 1);
    sequence.track("a", 3);
    expect(timers).toEqual([expect.objectContaining({ ms: REORDER_WINDOW_MS })]);
    sequence.track("a", 2);
    fire();
    expect(gaps()).toBe(0);
  });

  it("a skipped number still missing when the window ends is one gap, however many are missing", () => {
    const { sequence, fire, gaps } = tracker();
    sequence.track("a", 1);
    sequence.track("a", 4);
    sequence.track("a", 6);
    fire();
    expect(gaps()).toBe(1);
    // Missing numbers are forgotten once counted: a late arrival is no second gap.
    sequence.track("a", 2);
    fire();
    expect(gaps()).toBe(1);
  });

  it(`a jump of more than ${MAX_REORDER} is a gap at once, without waiting`, () => {
    const { sequence, timers, gaps } = tracker();
    sequence.track("a", 1);
    sequence.track("a", 2 + MAX_REORDER);
    expect(gaps()).toBe(1);
    expect(timers).toHaveLength(0);
  });

  it("duplicates and old numbers are ignored", () => {
    const { sequence, timers, gaps } = tracker();
    sequence.track("a", 5);
    sequence.track("a", 5);
    sequence.track("a", 3);
    expect(gaps()).toBe(0);
    expect(timers).toHaveLength(0);
  });
});
