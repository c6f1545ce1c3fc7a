import { router } from "./init.js";
import { cacheRouter } from "./routers/cache.js";
import { inspectRouter } from "./routers/inspect.js";
import { instancesRouter } from "./routers/instances.js";
import { labRouter } from "./routers/lab.js";
import { userRouter } from "./routers/user.js";
import { versionsRouter } from "./routers/versions.js";

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
