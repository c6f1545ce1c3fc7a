import type { Services } from "../services.js";
import { type InstanceInfo, identityText } from "./heartbeat.js";

/** Live instances whose heartbeat proves they hold the admin token: the only ones a caller's token is forwarded to. */
export async function trustedInstances(services: Pick<Services, "heartbeat" | "auth">): Promise<InstanceInfo[]> {
  return (await services.heartbeat.list()).filter((entry) => services.auth.verifies(identityText(entry), entry.signature));
}

/**
 * Runs a tRPC query on another instance with the caller's own bearer token
 * (GET /trpc/<path>?input=...), bounded by `timeoutMs`; throws with the
 * peer's message when it refuses.
 */
export async function queryPeer<T>(
  peer: Pick<InstanceInfo, "url">,
  path: string,
  input: unknown,
  authorization: string | undefined,
  timeoutMs = 2_000,
): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const response = await fetch(`${peer.url}/trpc/${path}${query}`, {
    headers: authorization ? { authorization } : {},
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
  if (!response.ok || !body.result) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body.result.data;
}
