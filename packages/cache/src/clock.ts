/** The source of wall-clock time used for every expiry decision; inject one in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: Date.now };
