import { inspectRouter } from "../cache-admin/inspect-router.js";
import { cacheRouter } from "../cache-admin/router.js";
import { versionsRouter } from "../cache-admin/versions.js";
import { instancesRouter } from "../instances/router.js";
import { labRouter } from "../lab/router.js";
import { userRouter } from "../users/router.js";
import { router } from "./init.js";

/** The whole API. Clients import `type AppRouter` only: no server code reaches a browser bundle. */
export const appRouter = router({
  user: userRouter,
  cache: cacheRouter,
  instances: instancesRouter,
  lab: labRouter,
  inspect: inspectRouter,
  versions: versionsRouter,
});

export type AppRouter = typeof appRouter;
