import type { Request } from "express";
import { AdminAuth } from "./admin-auth.js";

/**
 * Who may read the internals: /metrics, and the details of /readyz (dependency states and errors,
 * the outbox, warnings). With METRICS_TOKEN unset, anyone (as before; for a private network). Set, a
 * request needs `Authorization: Bearer <METRICS_TOKEN>` or the admin token (the admin UI's dashboard
 * reads /readyz with it); others get 401 on /metrics and only the status on /readyz.
 */
export class InternalsAccess {
  private readonly metrics: AdminAuth | undefined;

  constructor(
    metricsToken: string | undefined,
    private readonly admin: Pick<AdminAuth, "allows">,
  ) {
    this.metrics = metricsToken ? AdminAuth.create(metricsToken, () => {}) : undefined;
  }

  /** Whether a token is needed at all. */
  get restricted(): boolean {
    return this.metrics !== undefined;
  }

  allows(req: Request): boolean {
    if (!this.metrics) return true;
    const authorization = req.headers.authorization;
    return this.metrics.allows(authorization) || this.admin.allows(authorization);
  }
}
