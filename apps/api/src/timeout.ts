/** `promise`, or a rejection with "`what`: no answer within `timeoutMs` ms" when it takes longer. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what = "no answer"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what === "no answer" ? "" : `${what}: `}no answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}
