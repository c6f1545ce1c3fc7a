/** The parts of a TRPCClientError the UI reads (kept structural so it is testable without a client). */
interface ErrorLike {
  message?: string;
  data?: { code?: string; httpStatus?: number } | null;
}

/** The tRPC error code of a failure, or "NETWORK" when the API did not answer with a tRPC error. */
export function errorCode(error: unknown): string {
  const data = (error as ErrorLike | null)?.data;
  return data?.code ?? "NETWORK";
}

/** One sentence for a person: what failed and what to do. */
export function describeError(error: unknown): string {
  const code = errorCode(error);
  const message = (error as ErrorLike | null)?.message ?? String(error);
  switch (code) {
    case "NETWORK":
      return `Cannot reach the API (${message}). It may be down or restarting; this panel retries on its own every few seconds.`;
    case "UNAUTHORIZED":
      return "The API refused the admin token. Sign in again with the ADMIN_TOKEN the API was started with.";
    case "SERVICE_UNAVAILABLE":
      return `The API is up but a dependency is not: ${message}`;
    case "INTERNAL_SERVER_ERROR":
      return "The API failed with an internal error; its log has the details.";
    default:
      return message;
  }
}

/** How often a panel whose query failed with a retryable error asks again, in ms. */
export const RETRY_EVERY_MS = 3_000;

/** Whether a failure is the kind that heals on its own (the API or a dependency coming back), so panels retry it. */
export function isTransient(error: unknown): boolean {
  const code = errorCode(error);
  return code === "NETWORK" || code === "SERVICE_UNAVAILABLE";
}

/** Network failures and 5xx are worth retrying; a refused token or bad input is not. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  const code = errorCode(error);
  if (code === "NETWORK" || code === "SERVICE_UNAVAILABLE" || code === "INTERNAL_SERVER_ERROR") return failureCount < 1;
  return false;
}
