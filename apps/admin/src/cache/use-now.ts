import { useEffect, useState } from "react";

/** The current time, re-rendering every `intervalMs` (for countdowns). */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Time left at `now` of a duration measured at `measuredAt`. */
export function remainingMs(measuredMs: number, measuredAt: number, now: number): number {
  return measuredMs - Math.max(0, now - measuredAt);
}
