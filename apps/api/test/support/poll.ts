/**
 * Polls `check` until it returns a value other than undefined, null or false, or fails
 * after `timeoutMs` with `what` in the message. Never a fixed sleep.
 *
 * A number is refused at once: Redis answers EXISTS, DEL and counts with 0 for "not yet", and a
 * 0 that counted as done let a test go on before what it waited for had happened. Compare it
 * (`(await redis.exists(key)) === 1`) instead.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let interval = 10; ; interval = Math.min(interval * 2, 100)) {
    let value: T | undefined | false | null;
    try {
      value = await check();
    } catch (error) {
      last = error;
    }
    if (typeof value === "number") throw new TypeError(`until(${what}): the check returned a number (${value}); return a comparison`);
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
