/** One caller waiting in a batch. */
interface Waiter {
  resolve(value: Buffer | null): void;
  reject(error: unknown): void;
}

/**
 * Coalesces the GETs issued in one turn of the event loop into a single
 * MGET. Under concurrency, replies arrive together and their callers' next
 * reads are issued together: one command and one reply instead of N. The L2
 * store sends a read directly when nothing else waits on Redis, and a lone
 * batched read is flushed in a microtask as a plain GET, so serial latency
 * pays nothing (unlike auto-pipelining, which waits for `setImmediate`).
 * For a single Redis only: on a cluster an MGET may not span slots.
 */
export class ReadBatcher {
  private keys: string[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  /** Commands sent, and reads they carried (their ratio is the batching factor). */
  commands = 0;
  reads = 0;

  constructor(
    private readonly getOne: (key: string) => Promise<Buffer | null>,
    private readonly getMany: (keys: string[]) => Promise<(Buffer | null)[]>,
  ) {}

  get(key: string): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      this.keys.push(key);
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    const keys = this.keys;
    const waiters = this.waiters;
    this.keys = [];
    this.waiters = [];
    this.scheduled = false;
    this.commands++;
    this.reads += keys.length;
    if (keys.length === 1) {
      const waiter = waiters[0] as Waiter;
      this.getOne(keys[0] as string).then(waiter.resolve, waiter.reject);
      return;
    }
    this.getMany(keys).then(
      (values) => {
        for (let i = 0; i < waiters.length; i++) (waiters[i] as Waiter).resolve(values[i] ?? null);
      },
      (error) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}
