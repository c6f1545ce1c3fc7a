import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { Panel, QueryView } from "../components/Panel.js";
import { duration } from "../format.js";
import { useTRPC } from "../trpc.js";
import { ClusterVersion } from "./ClusterVersion.js";

/** Versioned keys, seen: one user's entry at the current version, and a reader at the next version that cannot reach it. */
export function VersionDemo() {
  const trpc = useTRPC();
  const [text, setText] = useState("");
  const [id, setId] = useState<number | null>(null);
  const inputId = useId();
  const demo = useQuery(trpc.cache.versionDemo.queryOptions({ id: id ?? 1 }, { enabled: id !== null }));
  function submit(event: FormEvent) {
    event.preventDefault();
    const value = Number(text);
    if (Number.isInteger(value) && value > 0) {
      if (value === id) void demo.refetch();
      setId(value);
    }
  }
  return (
    <Panel title="Versioned keys: what a bump does" className="wide">
      <p className="hint">
        The version is part of every key (<code>…:user:v1:{"{42}"}</code>). Deploying a new profile shape bumps it, and every old entry
        becomes unreachable at once: no scan, no delete, they expire on their TTL. This reads a user at the running version, then looks for
        it as a reader at the next version would, without changing the cluster; below, the bump is made for real.
      </p>
      <form className="inline" onSubmit={submit}>
        <label htmlFor={inputId}>User id</label>
        <input id={inputId} type="number" min={1} required value={text} onChange={(event) => setText(event.target.value)} />
        <button type="submit">Compare versions</button>
      </form>
      {id !== null && (
        <QueryView query={demo} what="the versions">
          {(data) => (
            <dl className="facts" aria-label="Version comparison">
              <dt>Now, v{data.current.version}</dt>
              <dd>
                <code className="key">{data.current.key}</code>{" "}
                {data.current.inL2 ? (
                  <span className="pill ok">holds {data.exists ? "the profile" : "the cached absence"}</span>
                ) : (
                  <span className="pill">empty</span>
                )}
              </dd>
              <dt>After a bump, v{data.bumped.version}</dt>
              <dd>
                <code className="key">{data.bumped.key}</code>{" "}
                {data.bumped.inL2 ? (
                  <span className="pill">holds an entry</span>
                ) : (
                  <span className="pill warn">
                    unreachable: the v{data.current.version} entry is not found, the read would go to Postgres
                  </span>
                )}
              </dd>
              <dt>Back at v{data.current.version}</dt>
              <dd>
                Nothing changed for the cluster: v{data.current.version} readers still hit. Sampled keys in Redis:{" "}
                {data.sampledKeys.current} at v{data.current.version}, {data.sampledKeys.bumped} at v{data.bumped.version}; old keys would
                expire within {duration(data.ttlMs)}.
              </dd>
            </dl>
          )}
        </QueryView>
      )}
      <ClusterVersion />
    </Panel>
  );
}
