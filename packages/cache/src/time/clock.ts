/** The source of wall-clock time used for every expiry decision; inject one in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** Calls served from one reading of `Date.now` at most, even when no timer can run (a busy loop). */
const CALLS_PER_READING = 1_024;

/**
 * Readings of `Date.now` within one millisecond after which the clock turns coarse (one every
 * ~15 µs or closer: the pace of L1 hits, not of serial L2 hits, which take a round trip each).
 */
export const DENSE_READINGS = 64;

/**
 * The real clock, read coarsely only when calls are dense. `Date.now` costs about 50 ns here, about
 * half an L1 hit, so while calls come {@link DENSE_READINGS} or more to a millisecond one reading
 * serves every call until the next millisecond timer tick or for at most 1 024 calls, whichever
 * comes first: expiry decisions are then at most about a millisecond late. Sparser calls (serial L2
 * hits, an idle process) read `Date.now` each time and keep no timer running: a 1 ms timer re-armed
 * every millisecond wakes the event loop and cost more CPU per L2 hit than the readings it saves.
 */
export function coarseSystemClock(): Clock {
  let reading = 0;
  /** Coarse: a tick is armed and `reading` serves the calls. */
  let coarse = false;
  let calls = 0;
  /** Readings (not coarse) that returned the same millisecond as `reading`. */
  let readingsThisMs = 0;
  const tick = () => {
    coarse = false;
    readingsThisMs = 0;
  };
  return {
    now() {
      if (coarse) {
        if (++calls <= CALLS_PER_READING) return reading;
        calls = 1;
        reading = Date.now();
        return reading;
      }
      const previous = reading;
      reading = Date.now();
      if (reading !== previous) readingsThisMs = 1;
      else if (++readingsThisMs >= DENSE_READINGS) {
        coarse = true;
        calls = 1;
        setTimeout(tick, 1).unref();
      }
      return reading;
    },
  };
}

/** The real clock (coarse when calls are dense: see {@link coarseSystemClock}). */
export const systemClock: Clock = coarseSystemClock();

/** Milliseconds on a monotonic clock: for durations (cool-downs), never for expiry times. */
export const monotonicClock: Clock = { now: () => performance.now() };
