import { describe, expect, it } from "vitest";
import { bytes, countdown, duration, percent } from "../src/format.js";

describe("format", () => {
  it("writes durations with a precision that suits their size", () => {
    expect(duration(0.084)).toBe("0.08 ms");
    expect(duration(4.25)).toBe("4.3 ms");
    expect(duration(812.4)).toBe("812 ms");
    expect(duration(3_400)).toBe("3.4 s");
  });

  it("counts TTLs down to 'expired'", () => {
    expect(countdown(65_000)).toBe("1:05");
    expect(countdown(8_100)).toBe("0:09");
    expect(countdown(0)).toBe("expired");
  });

  it("writes sizes and ratios", () => {
    expect(bytes(512)).toBe("512 B");
    expect(bytes(2_048)).toBe("2.0 kB");
    expect(percent(0.4321)).toBe("43.2%");
  });
});
