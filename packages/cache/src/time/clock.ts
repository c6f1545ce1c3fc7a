/** The source of wall-clock time used for every expiry decision; inject one in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** Calls served from one reading of `Date.now` at most, even when no timer can run (a busy loop). */
const CALLS_PER_READING = 1_024;

/**
 * The real clock, read coarsely: `Date.now` costs about 50 ns here, about
 * half an L1 hit, so one reading serves every call until the next
 * millisecond timer tick or for at most 1 024 calls, whichever comes first.
 * Expiry decisions are thus at most about a millisecond late.
 */
export function coarseSystemClock(): Clock {
  let reading = 0;
  let calls = CALLS_PER_READING;
  let tick: NodeJS.Timeout | undefined;
  const expire = () => {
    tick = undefined;
    calls = CALLS_PER_READING;
  };
  return {
    now() {
      if (++calls <= CALLS_PER_READING) return reading;
      reading = Date.now();
      calls = 1;
      if (!tick) {
        tick = setTimeout(expire, 1);
        tick.unref();
      }
      return reading;
    },
  };
}

/** The real clock (coarse: see {@link coarseSystemClock}). */
export const systemClock: Clock = coarseSystemClock();

/** Milliseconds on a monotonic clock: for durations (cool-downs), never for expiry times. */
export const monotonicClock: Clock = { now: () => performance.now() };
