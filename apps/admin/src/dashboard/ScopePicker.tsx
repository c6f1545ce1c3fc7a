import { useId } from "react";
import type { CacheStats } from "../trpc.js";
import type { Scope } from "./scope.js";

/** Picks the cluster total or one live instance; the API that answers fetches the others' numbers. */
export function ScopePicker({
  scope,
  onChange,
  instances,
}: {
  scope: Scope;
  onChange: (scope: Scope) => void;
  instances: CacheStats["instances"];
}) {
  const id = useId();
  const known = scope === "cluster" || instances.some((instance) => instance.id === scope);
  return (
    <div className="scope-picker">
      <label htmlFor={id}>Numbers of</label>
      <select id={id} value={known ? scope : "cluster"} onChange={(event) => onChange(event.target.value)}>
        <option value="cluster">Cluster total ({instances.length} live)</option>
        {instances.map((instance) => (
          <option key={instance.id} value={instance.id}>
            Instance {instance.id.slice(0, 8)} ({instance.url})
          </option>
        ))}
      </select>
    </div>
  );
}
