/** When a flight began, in the terms of the invalidation marks (read it before the flight's first await). */
export interface FlightStamp {
  /** `InvalidationMarks.current()` when the flight began. */
  mark: number;
  /** The namespace's clear epoch when the flight began. */
  epoch: number;
  /** `TagRegistry.startSeq()` when the flight began. */
  tagSeq: number;
  /** `TagRegistry.invalidations` when the flight began. */
  tagInvalidations: number;
  /** The tags the call gave (the entry may get more: an L2 entry's own, `ctx.setTags`). */
  tags: readonly string[] | undefined;
}

/**
 * Shares one in-flight promise per key inside a process: concurrent callers
 * for the same key get the same result or the same error. Each flight keeps
 * the stamp it began under, so a caller that arrives after the key (or one of
 * its tags) was invalidated can tell the flight may carry the replaced value.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, { promise: Promise<unknown>; stamp: FlightStamp | undefined }>();

  /** The promise already running for `key`, if any. */
  current<T>(key: string): Promise<T> | undefined {
    return this.inFlight.get(key)?.promise as Promise<T> | undefined;
  }

  /** The stamp the running flight for `key` began under (undefined: none, or unstamped). */
  stampOf(key: string): FlightStamp | undefined {
    return this.inFlight.get(key)?.stamp;
  }

  /** Runs `work` as the one flight for `key` (replacing one that is running); it is forgotten once settled. */
  run<T>(key: string, work: () => Promise<T>, stamp?: FlightStamp): Promise<T> {
    const promise = work();
    const flight = { promise, stamp };
    // Not `.finally()`, which wraps the result in two more promises: the caller awaits `work`'s own promise
    // (every L2 hit is a flight), and this reaction, registered first, forgets the flight before callers resume.
    const forget = () => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    };
    promise.then(forget, forget);
    this.inFlight.set(key, flight);
    return promise;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
