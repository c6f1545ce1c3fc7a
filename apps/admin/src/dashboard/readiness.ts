import { tokenStore } from "../auth/token-store.js";

/** What GET /readyz answers (200 ready, 503 not ready; same body). */
export interface Readiness {
  status: "ready" | "not-ready";
  instance: string;
  postgres: { state: "up" | "down"; mode: "external" | "embedded"; error?: string };
  redis: { state: "up" | "down"; mode: string; error?: string };
  /** The Postgres LISTEN connection of the instance that answered (null when it has none). */
  listener: { connected: boolean; reconnects: number; received: number; lastNotificationAt: number | null } | null;
  warnings: string[];
}

/**
 * Reads /readyz with the admin token (with METRICS_TOKEN set, the details are only for a token holder); a 503
 * is an answer (something is down), only a network failure or a non-JSON reply throws.
 */
export async function fetchReadiness(signal?: AbortSignal): Promise<Readiness> {
  const token = tokenStore.get();
  const response = await fetch("/readyz", { signal: signal ?? null, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("json")) throw new Error(`/readyz answered HTTP ${response.status} without JSON`);
  return (await response.json()) as Readiness;
}
