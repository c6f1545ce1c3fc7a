import type { APIRequestContext } from "@playwright/test";
import { E2E } from "./env.js";

/** Calls one tRPC procedure over plain HTTP (no batching) as the admin; throws with the API's message on failure. */
export async function call<T>(
  request: APIRequestContext,
  kind: "query" | "mutation",
  path: string,
  input?: unknown,
  baseURL?: string,
): Promise<T> {
  const url = `${baseURL ?? ""}/trpc/${path}`;
  const headers = { authorization: `Bearer ${E2E.adminToken}` };
  const response =
    kind === "query"
      ? await request.get(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
      : await request.post(url, { headers, data: input ?? {} });
  const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
  if (!response.ok() || !body.result) throw new Error(`${path} failed (HTTP ${response.status()}): ${body.error?.message ?? "no body"}`);
  return body.result.data;
}

export interface SeededUser {
  id: number;
  username: string;
  email: string;
  displayName: string;
}
