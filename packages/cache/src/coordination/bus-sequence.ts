import type { Clock } from "../time/clock.js";

/** How long a missing sequence number may be late before it counts as lost. */
export const REORDER_WINDOW_MS = 200;
/** A jump this large is a gap at once. */
export const MAX_REORDER = 64;
/** Origins silent this long are most likely gone and are forgotten (once more than 1 000 are known). */
const QUIET_ORIGIN_MS = 600_000;

/** What is known of one publisher. */
interface OriginState {
  /** Highest sequence number seen. */
  high: number;
  /** Numbers below `high` not seen yet. */
  missing: Set<number>;
  /** When the last message arrived (epoch ms). */
  at: number;
  /** Pending check that turns still-missing numbers into a gap. */
  timer: unknown;
}

/** Schedules `run` after `ms`; returns a handle (the default is an unref'd `setTimeout`). */
export type Schedule = (run: () => void, ms: number) => unknown;

const unrefTimeout: Schedule = (run, ms) => setTimeout(run, ms).unref();

/**
 * Per-publisher sequence numbers on the bus: each publisher numbers its messages +1, so a number
 * that never arrives is a lost message. Messages from one origin may arrive slightly out of order
 * (on a cluster they are published from different nodes), so a missing number is a gap only if it
 * has not arrived within {@link REORDER_WINDOW_MS}; a jump past {@link MAX_REORDER} is one at once.
 */
export class BusSequence {
  readonly #origins = new Map<string, OriginState>();

  constructor(
    private readonly clock: Clock,
    /** Called once per detected gap (messages lost). */
    private readonly onGap: () => void,
    private readonly schedule: Schedule = unrefTimeout,
  ) {}

  /** Publishers known now. */
  get origins(): number {
    return this.#origins.size;
  }

  /** Records message number `seq` from `origin`. */
  track(origin: string, seq: number): void {
    const now = this.clock.now();
    const state = this.#origins.get(origin);
    if (!state) {
      this.#origins.set(origin, { high: seq, missing: new Set(), at: now, timer: undefined });
      if (this.#origins.size > 1_000) this.#forgetQuietOrigins(now);
      return;
    }
    state.at = now;
    if (seq <= state.high) {
      state.missing.delete(seq);
      return;
    }
    if (seq - state.high > MAX_REORDER) {
      state.missing.clear();
      this.onGap();
    } else {
      for (let next = state.high + 1; next < seq; next++) state.missing.add(next);
    }
    state.high = seq;
    if (state.missing.size > 0 && !state.timer) {
      state.timer = this.schedule(() => {
        state.timer = undefined;
        if (state.missing.size === 0) return;
        state.missing.clear();
        this.onGap();
      }, REORDER_WINDOW_MS);
    }
  }

  #forgetQuietOrigins(now: number): void {
    for (const [origin, state] of this.#origins) {
      if (now - state.at > QUIET_ORIGIN_MS && !state.timer) this.#origins.delete(origin);
    }
  }
}
