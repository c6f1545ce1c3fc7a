import type { AppRouter } from "@hoard/api/router";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { createTRPCContext } from "@trpc/tanstack-react-query";

/** React bindings for the API; only the router's *type* is imported, no server code reaches the bundle. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type CacheStats = RouterOutputs["cache"]["stats"];
export type UserProfile = NonNullable<RouterOutputs["user"]["byId"]>;
export type StampedeRun = RouterOutputs["lab"]["stampede"];
export type LookupResult = RouterOutputs["inspect"]["lookup"];
export type Protection = RouterInputs["lab"]["stampede"]["mode"];
