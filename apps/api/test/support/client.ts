import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from "@trpc/client";
import { MAX_BATCH_SIZE } from "../../src/http/app.js";
import type { AppRouter } from "../../src/trpc/router.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

/** A typed tRPC client for one instance (batching on, like the admin UI), optionally with the admin token. */
export function client(url: string, token: string | null = ADMIN_TOKEN, batch = true) {
  const options = { url: `${url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) };
  // The server refuses batches over MAX_BATCH_SIZE: the link splits larger ones.
  const link = batch ? httpBatchLink({ ...options, maxItems: MAX_BATCH_SIZE }) : httpLink(options);
  return createTRPCClient<AppRouter>({ links: [link] });
}

/** The tRPC error code and HTTP status a call failed with. */
export async function failure(call: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { code: string; httpStatus: number };
      return { code: data.code, status: data.httpStatus, message: error.message };
    }
    throw error;
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** A raw tRPC call over HTTP (for status codes and malformed requests). */
export async function raw(
  url: string,
  path: string,
  init: RequestInit & { input?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const query =
    init.input !== undefined && (init.method ?? "GET") === "GET" ? `?input=${encodeURIComponent(JSON.stringify(init.input))}` : "";
  const response = await fetch(`${url}/trpc/${path}${query}`, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

/** Reads one sample of a Prometheus metric from /metrics (0 when absent). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((label) => line.includes(label))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}
