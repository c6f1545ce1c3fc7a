/**
 * Shares one in-flight promise per key inside a process: concurrent callers
 * for the same key get the same result or the same error.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /** The promise already running for `key`, if any. */
  current<T>(key: string): Promise<T> | undefined {
    return this.inFlight.get(key) as Promise<T> | undefined;
  }

  /** Runs `work` as the one flight for `key`; it is forgotten once settled. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const promise = work().finally(() => {
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
    });
    this.inFlight.set(key, promise);
    return promise;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
