import { adminProcedure, router } from "../trpc/init.js";

export const instancesRouter = router({
  /** Live instances of the cluster, from their heartbeats in Redis. */
  list: adminProcedure.query(({ ctx }) => ctx.services.heartbeat.list()),
});
