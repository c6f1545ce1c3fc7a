import { NEMESIS_ADMIN_TOKEN } from "./system.js";

/** The client's own deadline for one call; past CALL_DEADLINE_MS it counts as hung anyway. */
export const CLIENT_TIMEOUT_MS = 15_000;

/** The outcome of one call. */
export interface CallResult {
  ok: boolean;
  /** HTTP status, or 0 when no answer came (connection refused, reset, or the client's timeout). */
  status: number;
  body: unknown;
}

/** Calls a tRPC procedure over plain HTTP with the suite's admin token. */
export async function call(url: string, path: string, input: unknown, mutation = false): Promise<CallResult> {
  const query = mutation ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  try {
    const response = await fetch(`${url}/trpc/${path}${query}`, {
      method: mutation ? "POST" : "GET",
      headers: { authorization: `Bearer ${NEMESIS_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: mutation ? JSON.stringify(input) : undefined,
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const body = (await response.json()) as { result?: { data?: unknown } };
    // `data` may be null (an absent user): that is the answer, not a missing field.
    return { ok: response.ok, status: response.status, body: body.result && "data" in body.result ? body.result.data : body };
  } catch (error) {
    return { ok: false, status: 0, body: (error as Error).message };
  }
}

/** The version a read saw: `v<n>` in the display name is n; an absent user (deleted) is DELETED. */
export const DELETED = Number.MAX_SAFE_INTEGER;

/** The id of a returned profile, or undefined for an absent user. */
export function idOf(profile: unknown): number | undefined {
  return (profile as { id?: number } | null | undefined)?.id;
}

export function versionOf(profile: unknown): number {
  if (profile === null) return DELETED;
  const name = (profile as { displayName?: string } | undefined)?.displayName;
  return name?.startsWith("v") ? Number(name.slice(1)) : -1;
}
