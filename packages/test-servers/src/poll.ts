/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes (then throws naming `what`). */
export async function pollUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
