import { describe, expect, it } from "vitest";
import { InvalidationMarks } from "../../src/coordination/invalidation-marks.js";

describe("invalidation marks", () => {
  it("an invalidation of a key voids L1 fills and flight joins begun before it, for that key only", () => {
    const marks = new InvalidationMarks();
    const mark = marks.current();
    marks.note("a");
    expect(marks.invalidatedSince("a", mark)).toBe(true);
    expect(marks.keyInvalidatedSince("a", mark)).toBe(true);
    expect(marks.invalidatedSince("b", mark)).toBe(false);
    expect(marks.keyInvalidatedSince("b", mark)).toBe(false);
    expect(marks.keyInvalidatedSince("a", marks.current())).toBe(false);
  });

  it("an L1 flush voids every L1 fill begun before it, but a load begun before it may still be joined", () => {
    const marks = new InvalidationMarks();
    const mark = marks.current();
    marks.noteFlush();
    expect(marks.invalidatedSince("a", mark)).toBe(true);
    // The flush is about what L1 may have missed, not about what L2 or the database hold.
    expect(marks.keyInvalidatedSince("a", mark)).toBe(false);
  });
});
