import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId } from "react";
import { ErrorNotice, QueryView } from "../components/Panel.js";
import { useTRPC } from "../trpc.js";

/**
 * Versioned keys, changed for real: bump the `user` namespace for the whole
 * running cluster (every instance reads and writes the next version's keys at
 * once), see each instance follow, and go back to the code's version.
 */
export function ClusterVersion() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingId = useId();
  const state = useQuery(trpc.versions.state.queryOptions({ namespace: "user" }, { refetchInterval: 1_000 }));
  const refresh = () => void queryClient.invalidateQueries(trpc.versions.pathFilter());
  const bump = useMutation(trpc.versions.bump.mutationOptions({ onSettled: refresh }));
  const restore = useMutation(trpc.versions.restore.mutationOptions({ onSettled: refresh }));
  const busy = bump.isPending || restore.isPending;
  return (
    <section className="subsection" aria-labelledby={headingId}>
      <h3 id={headingId}>The cluster's version</h3>
      <QueryView query={state} what="the cluster's version">
        {(data) => (
          <>
            <p>
              The cluster reads and writes user entries at <strong>v{data.version}</strong>{" "}
              {data.version === data.codeVersion ? "(the code's version)" : `(the code says v${data.codeVersion})`}.
            </p>
            <p className="hint">
              A bump is stored in Redis and announced to every instance, which moves its <code>user</code> namespace to the next version (
              <code>namespace.setVersion</code>): the entries of the old version stay in Redis until their TTL, but no instance reaches
              them, so the next reads miss and load. Back to v{data.codeVersion} clears the namespace first, because writes made after the
              bump invalidated only the new keys. The version stays across restarts, like a deploy.
            </p>
            <div className="inline">
              <button
                type="button"
                disabled={busy}
                onClick={() => {
                  restore.reset();
                  bump.mutate({ namespace: "user", from: data.version });
                }}
              >
                Bump to v{data.version + 1} for the cluster
              </button>
              <button
                type="button"
                className="secondary"
                disabled={busy || data.version === data.codeVersion}
                onClick={() => {
                  bump.reset();
                  restore.mutate({ namespace: "user" });
                }}
              >
                Back to v{data.codeVersion}
              </button>
            </div>
            {bump.error && <ErrorNotice error={bump.error} />}
            {restore.error && <ErrorNotice error={restore.error} />}
            {restore.data && (
              <p className="notice" role="status">
                Back at v{restore.data.version}: {restore.data.removed} keys of the namespace removed from Redis first.
              </p>
            )}
            <table aria-label="Version per instance">
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Reads and writes</th>
                </tr>
              </thead>
              <tbody>
                {data.instances.map((instance) => (
                  <tr key={instance.id}>
                    <td>
                      {instance.url}
                      {instance.id === data.instanceId ? " (answered this)" : ""}
                    </td>
                    <td>{instance.version === null ? "unknown" : `v${instance.version}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </QueryView>
    </section>
  );
}
