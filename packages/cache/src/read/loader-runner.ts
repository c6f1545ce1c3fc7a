import { checkTags } from "../encoding/tags.js";
import { InvalidOptionError, LoaderError, LoaderTimeoutError } from "../errors.js";

/** What a loader receives. */
export interface LoaderContext<Id, T = unknown> {
  /** The id being loaded. */
  id: Id;
  /** Aborted when the hard timeout passes: pass it to fetch/pg to stop the work. */
  signal: AbortSignal;
  /** The stale value kept for this id (expired, or within grace), if there is one; undefined otherwise. */
  readonly stale: T | undefined;
  /**
   * The TTL of what this load stores, in ms, known only once loaded (a token's
   * expiry, say): replaces the policy's `ttlMs` (or `negativeTtlMs` for an
   * absent result), with no jitter; grace still follows. A positive integer,
   * else `InvalidOptionError`. @default the policy's TTL
   */
  setTtl(ms: number): void;
  /** Tags for what this load stores, added to the call's `tags` (1-200 characters each, at most 32). @default none */
  setTags(tags: readonly string[]): void;
  /** Return the value to this caller (and callers sharing the load) without caching it anywhere. */
  skip(): void;
}

/** What the loader asked for through its context, read once it has returned. */
export interface LoaderRequests {
  ttlMs: number | undefined;
  tags: string[] | undefined;
  skipped: boolean;
}

/**
 * The context one load hands its loader, and what the loader asked for. Its
 * methods throw `InvalidOptionError` on a bad value or once the load is over.
 */
export class LoaderControl<Id, T> implements LoaderContext<Id, T>, LoaderRequests {
  ttlMs: number | undefined;
  tags: string[] | undefined;
  skipped = false;
  #settled = false;

  constructor(
    readonly id: Id,
    readonly signal: AbortSignal,
    readonly stale: T | undefined,
  ) {}

  setTtl(ms: number): void {
    this.#assertRunning("setTtl");
    if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms <= 0) {
      throw new InvalidOptionError(`ctx.setTtl(${String(ms)}): the TTL must be a positive integer number of ms.`);
    }
    this.ttlMs = ms;
  }

  setTags(tags: readonly string[]): void {
    this.#assertRunning("setTags");
    this.tags = checkTags([...(this.tags ?? []), ...checkTags(tags, "ctx.setTags()")], "ctx.setTags()");
  }

  skip(): void {
    this.#assertRunning("skip");
    this.skipped = true;
  }

  /** The load is over: later calls are a mistake (nothing would read them). */
  settle(): void {
    this.#settled = true;
  }

  #assertRunning(method: string): void {
    if (this.#settled) throw new InvalidOptionError(`ctx.${method}() was called after the loader returned; call it before returning.`);
  }
}

/**
 * Calls a loader with a hard timeout. The loader's own error is wrapped in
 * {@link LoaderError} (original as `cause`); a timeout is a {@link LoaderTimeoutError}.
 * With `onOutlived`, a load past its timeout is not aborted: `onOutlived` gets
 * the still running load (just before the timeout error is thrown) to finish it in the background.
 */
export async function runLoader<Id, V, T = unknown>(
  loader: (context: LoaderContext<Id, T>) => V | Promise<V>,
  id: Id,
  hardTimeoutMs: number,
  stale?: T,
  onOutlived?: (running: Promise<{ value: V; requests: LoaderRequests }>) => void,
): Promise<{ value: V; requests: LoaderRequests }> {
  // One signal per load, even when nothing will abort it: a shared never-aborted signal would keep
  // every listener each loader adds to it (1,000 loads, 1,000 listeners). This one goes with its load.
  const controller = new AbortController();
  const control = new LoaderControl<Id, T>(id, controller.signal, stale);
  const loading = (async () => {
    try {
      const value = await loader(control);
      return { value, requests: control };
    } catch (error) {
      // Misuse of the context is the caller's bug, not a loader failure: it surfaces as it is.
      if (error instanceof LoaderError || error instanceof LoaderTimeoutError || error instanceof InvalidOptionError) throw error;
      throw new LoaderError(`The loader for ${JSON.stringify(id)} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
  })();
  loading.then(
    () => control.settle(),
    () => control.settle(),
  );
  if (hardTimeoutMs <= 0) return loading;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      if (onOutlived) onOutlived(loading);
      else controller.abort();
      reject(new LoaderTimeoutError(`The loader for ${JSON.stringify(id)} did not answer within hardTimeoutMs=${hardTimeoutMs}.`));
    }, hardTimeoutMs);
  });
  // The losing side is still observed, so a late rejection is never unhandled.
  loading.catch(() => {});
  try {
    return await Promise.race([loading, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with `SOFT_TIMEOUT` after `ms`, unless cancelled. */
export const SOFT_TIMEOUT: unique symbol = Symbol("hoard.softTimeout");

export function softTimeout(ms: number): { promise: Promise<typeof SOFT_TIMEOUT>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<typeof SOFT_TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(SOFT_TIMEOUT), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
