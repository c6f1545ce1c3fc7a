import { setMaxListeners } from "node:events";
import { LoaderError, LoaderTimeoutError } from "../errors.js";

const NEVER_ABORTED = new AbortController().signal;
// Shared by every load without a hard timeout: many concurrent loads may listen to it at once.
setMaxListeners(0, NEVER_ABORTED);

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
 */
export async function runLoader<Id, V>(loader: (context: LoaderContext<Id>) => V | Promise<V>, id: Id, hardTimeoutMs: number): Promise<V> {
  // Without a hard timeout nothing ever aborts: share one signal instead of making one per load.
  const controller = hardTimeoutMs > 0 ? new AbortController() : undefined;
  const loading = (async () => {
    try {
      return await loader({ id, signal: controller?.signal ?? NEVER_ABORTED });
    } catch (error) {
      if (error instanceof LoaderError || error instanceof LoaderTimeoutError) throw error;
      throw new LoaderError(`The loader for ${JSON.stringify(id)} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
  })();
  if (hardTimeoutMs <= 0) return loading;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller?.abort();
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
