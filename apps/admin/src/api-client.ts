import type { AppRouter } from "@hoard/api/router";
import { createTRPCClient, httpBatchLink } from "@trpc/client";

/** A tRPC client on this origin's /trpc that sends `token` as the admin bearer token on every call. */
export function createApiClient(token: string) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: "/trpc", headers: () => ({ authorization: `Bearer ${token}` }) })],
  });
}
