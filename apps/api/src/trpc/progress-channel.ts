/**
 * Callback progress (`onProgress(done)`) as an async iterable for a streaming procedure. Only the latest
 * value waiting is kept: a slow client skips intermediate steps instead of buffering them.
 */
export function progressChannel<T>(): { push: (value: T) => void; end: () => void; values: () => AsyncGenerator<T> } {
  let latest: { value: T } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push: (value) => {
      latest = { value };
      signal();
    },
    end: () => {
      ended = true;
      signal();
    },
    values: async function* () {
      while (true) {
        if (latest) {
          const { value } = latest;
          latest = undefined;
          yield value;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
