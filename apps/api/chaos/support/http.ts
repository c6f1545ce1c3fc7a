import { ADMIN_TOKEN } from "../../test/support/client.js";

/** The outcome of one HTTP call to an instance. */
export interface CallResult {
  ok: boolean;
  /** HTTP status, or 0 when the connection failed. */
  status: number;
  body: unknown;
}

/** Calls a tRPC procedure over plain HTTP (no batching), bounded by `timeoutMs`. */
export async function call(url: string, path: string, input: unknown, mutation = false, timeoutMs = 5_000): Promise<CallResult> {
  const query = mutation ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  try {
    const response = await fetch(`${url}/trpc/${path}${query}`, {
      method: mutation ? "POST" : "GET",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: mutation ? JSON.stringify(input) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: { data?: unknown } };
    return { ok: response.ok, status: response.status, body: body.result?.data ?? body };
  } catch (error) {
    return { ok: false, status: 0, body: (error as Error).message };
  }
}

export { versionOf } from "../../src/consistency/history.js";
