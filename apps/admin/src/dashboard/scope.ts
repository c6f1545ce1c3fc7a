import { useCallback, useState } from "react";
import type { CacheStats } from "../trpc.js";

/** Whose numbers the dashboard shows: the cluster total, or one instance by id. */
export type Scope = "cluster" | string;

const KEY = "hoard.dashboardScope";

/** The chosen scope, kept for the tab's session (cluster total by default). */
export function useScope(): [Scope, (scope: Scope) => void] {
  const [scope, setScope] = useState<Scope>(() => sessionStorage.getItem(KEY) ?? "cluster");
  const choose = useCallback((next: Scope) => {
    sessionStorage.setItem(KEY, next);
    setScope(next);
  }, []);
  return [scope, choose];
}

/** "Cluster total (2 instances)" or "Instance 1a2b3c4d": the label every figure of the dashboard carries. */
export function scopeLabel(stats: Pick<CacheStats, "scope">): string {
  if (stats.scope.kind === "cluster") {
    const n = stats.scope.instanceIds.length;
    const missing = stats.scope.unreachable.length;
    return `Cluster total (${n} ${n === 1 ? "instance" : "instances"}${missing ? `, ${missing} not answering` : ""})`;
  }
  return `Instance ${stats.scope.instanceId.slice(0, 8)}`;
}
