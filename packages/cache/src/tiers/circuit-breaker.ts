import type { Clock } from "../time/clock.js";

/** `closed`: calls pass. `open`: calls are skipped until the cool-down ends. `half-open`: one probe is in flight. */
export type CircuitState = "closed" | "open" | "half-open";

/**
 * Skips L2 while Redis is failing, so callers never queue behind a dead or
 * slow server. After `failureThreshold` consecutive failures the circuit opens
 * for `coolDownMs`; then a single probe call decides whether it closes again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = "closed";
  /** How many times the circuit has opened. */
  opens = 0;

  constructor(
    private readonly clock: Clock,
    private readonly failureThreshold: number,
    private readonly coolDownMs: number,
    private readonly onChange: (state: CircuitState) => void = () => {},
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  /** Whether a call may go to Redis now; in `open` past the cool-down, lets exactly one probe through. */
  allow(): boolean {
    if (this.current === "closed") return true;
    if (this.current === "open" && this.clock.now() - this.openedAt >= this.coolDownMs && !this.probing) {
      this.probing = true;
      this.transition("half-open");
      return true;
    }
    return false;
  }

  success(): void {
    this.failures = 0;
    if (this.current !== "closed") {
      this.probing = false;
      this.transition("closed");
    }
  }

  /** Opens at once (a stalled connection needs no more evidence). */
  trip(): void {
    if (this.current === "open") return;
    this.probing = false;
    this.openedAt = this.clock.now();
    this.opens++;
    this.transition("open");
  }

  failure(): void {
    this.failures++;
    if (this.current === "half-open" || (this.current === "closed" && this.failures >= this.failureThreshold)) {
      this.probing = false;
      this.openedAt = this.clock.now();
      this.opens++;
      this.transition("open");
    }
  }

  private transition(next: CircuitState): void {
    if (next === this.current) return;
    this.current = next;
    this.onChange(next);
  }
}
