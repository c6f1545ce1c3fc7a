import type { AppRouter } from "@hoard/api/router";
import { createTRPCClient, httpBatchLink, httpBatchStreamLink, splitLink } from "@trpc/client";

/** Procedures that stream their progress: read with httpBatchStreamLink, so one request follows the run on the instance doing it. */
const STREAMED = new Set(["user.seed"]);

/** The API's MAX_BATCH_SIZE: larger batches are split into several requests. */
const MAX_BATCH_ITEMS = 10;

/** A tRPC client on this origin's /trpc that sends `token` as the admin bearer token on every call. */
export function createApiClient(token: string) {
  const options = { url: "/trpc", headers: () => ({ authorization: `Bearer ${token}` }), maxItems: MAX_BATCH_ITEMS };
  return createTRPCClient<AppRouter>({
    links: [splitLink({ condition: (op) => STREAMED.has(op.path), true: httpBatchStreamLink(options), false: httpBatchLink(options) })],
  });
}
