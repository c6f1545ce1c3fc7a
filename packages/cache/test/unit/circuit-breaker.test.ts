import { describe, expect, it } from "vitest";
import { CircuitBreaker, type CircuitState } from "../../src/tiers/circuit-breaker.js";
import { ManualClock } from "../support/clock.js";

function breaker(threshold = 3, coolDownMs = 1_000) {
  const clock = new ManualClock(1_000_000);
  const changes: CircuitState[] = [];
  return { clock, changes, breaker: new CircuitBreaker(clock, threshold, coolDownMs, (state) => changes.push(state)) };
}

describe("circuit breaker (injected clock)", () => {
  it("opens after `threshold` consecutive failures; a success in between resets the count", () => {
    const { breaker: b, changes } = breaker(3);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe("closed");
    b.failure();
    expect(b.state).toBe("open");
    expect(b.allow()).toBe(false);
    expect(b.opens).toBe(1);
    expect(changes).toEqual(["open"]);
  });

  it("lets exactly one probe through after the cool-down; its success closes, its failure reopens for a full cool-down", () => {
    const { breaker: b, clock, changes } = breaker(1, 1_000);
    b.failure();
    clock.advance(999);
    expect(b.allow()).toBe(false);
    clock.advance(1);
    expect(b.allow()).toBe(true);
    expect(b.state).toBe("half-open");
    expect(b.allow()).toBe(false); // one probe at a time
    b.failure();
    expect(b.state).toBe("open");
    clock.advance(999);
    expect(b.allow()).toBe(false);
    clock.advance(1);
    expect(b.allow()).toBe(true);
    b.success();
    expect(b.state).toBe("closed");
    expect(b.allow()).toBe(true);
    expect(changes).toEqual(["open", "half-open", "open", "half-open", "closed"]);
    expect(b.opens).toBe(2);
  });

  it("trip() opens at once (a stall needs no more evidence) and counts one opening", () => {
    const { breaker: b } = breaker(5);
    b.trip();
    b.trip();
    expect(b.state).toBe("open");
    expect(b.opens).toBe(1);
  });
});
