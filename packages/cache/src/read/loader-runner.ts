import { LoaderError, LoaderTimeoutError } from "../errors.js";

/** What a loader receives. */
export interface LoaderContext<Id> {
  /** The id being loaded. */
  id: Id;
  /** Aborted when the hard timeout passes: pass it to fetch/pg to stop the work. */
  signal: AbortSignal;
}

/**
 * Calls a loader with a hard timeout. The loader's own error is wrapped in
 * {@link LoaderError} (original as `cause`); a timeout is a {@link LoaderTimeoutError}.
 * With `onOutlived`, a load past its timeout is not aborted: `onOutlived` gets
 * the still running load (just before the timeout error is thrown) to finish it in the background.
 */
export async function runLoader<Id, V>(
  loader: (context: LoaderContext<Id>) => V | Promise<V>,
  id: Id,
  hardTimeoutMs: number,
  onOutlived?: (running: Promise<V>) => void,
): Promise<V> {
  // One signal per load, even when nothing will abort it: a shared never-aborted signal would keep
  // every listener each loader adds to it (1,000 loads, 1,000 listeners). This one goes with its load.
  const controller = new AbortController();
  const loading = (async () => {
    try {
      return await loader({ id, signal: controller.signal });
    } catch (error) {
      if (error instanceof LoaderError || error instanceof LoaderTimeoutError) throw error;
      throw new LoaderError(`The loader for ${JSON.stringify(id)} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
  })();
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
