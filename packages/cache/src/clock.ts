/** The source of wall-clock time used for every expiry decision; inject one in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: Date.now };

/** Milliseconds on a monotonic clock: for durations (cool-downs), never for expiry times. */
export const monotonicClock: Clock = { now: () => performance.now() };
