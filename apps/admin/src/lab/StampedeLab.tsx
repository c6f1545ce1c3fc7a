import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ErrorNotice, Panel, Stat } from "../components/Panel.js";
import { TableWrap } from "../components/TableWrap.js";
import { count, duration } from "../format.js";
import { type Protection, type StampedeRun, useTRPC, useTRPCClient } from "../trpc.js";
import { Histogram } from "./Histogram.js";
import { explainRun, latestPerMode, loadRuns, type RecordedRun, saveRuns } from "./runs.js";

const MODES: { value: Protection; label: string; description: string }[] = [
  { value: "none", label: "None", description: "every miss loads from the database" },
  { value: "local", label: "Local", description: "single flight inside each process" },
  { value: "distributed", label: "Distributed", description: "single flight plus a Redis lock across instances" },
];

interface Settings {
  concurrency: number;
  mode: Protection;
  dbLatencyMs: number;
  spread: boolean;
  userId: string;
}

/** Fire many concurrent reads of one cold key with a chosen protection, and compare what reached the database. */
export function StampedeLab() {
  const client = useTRPCClient();
  const [settings, setSettings] = useState<Settings>({
    concurrency: 200,
    mode: "distributed",
    dbLatencyMs: 100,
    spread: false,
    userId: "",
  });
  const [runs, setRuns] = useState<RecordedRun[]>(loadRuns);
  const [running, setRunning] = useState<{ mode: Protection; index: number; of: number } | null>(null);
  const ids = useId();
  const trpc = useTRPC();
  const stats = useQuery(trpc.cache.stats.queryOptions(undefined, { refetchInterval: 2_000 }));
  const liveInstances = stats.data?.instances.length;

  const run = useMutation({
    mutationFn: async (modes: Protection[]) => {
      await client.lab.setDbLatency.mutate({ ms: settings.dbLatencyMs });
      const finished: RecordedRun[] = [];
      let number = runs.length;
      for (const [index, mode] of modes.entries()) {
        setRunning({ mode, index, of: modes.length });
        const result = await client.lab.stampede.mutate({
          concurrency: settings.concurrency,
          mode,
          spread: settings.spread,
          ...(settings.userId ? { id: Number(settings.userId) } : {}),
        });
        number += 1;
        finished.push({ number, at: Date.now(), dbLatencyMs: settings.dbLatencyMs, run: result });
        setRuns((previous) => {
          const next = [...previous, finished[finished.length - 1] as RecordedRun];
          saveRuns(next);
          return next;
        });
      }
      return finished;
    },
    onSettled: () => setRunning(null),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    run.mutate([settings.mode]);
  }

  const latest = runs[runs.length - 1];
  const number = (name: "concurrency" | "dbLatencyMs") => (event: { target: { value: string } }) =>
    setSettings({ ...settings, [name]: Math.max(0, Math.floor(Number(event.target.value) || 0)) });

  return (
    <div className="grid">
      <Panel title="Set up a stampede">
        <form className="stacked" onSubmit={submit}>
          <label htmlFor={`${ids}-concurrency`}>Concurrent calls</label>
          <input
            id={`${ids}-concurrency`}
            type="number"
            min={1}
            max={2000}
            required
            value={settings.concurrency}
            onChange={number("concurrency")}
          />
          <fieldset>
            <legend>Protection</legend>
            {MODES.map((mode) => (
              <label key={mode.value} className="choice">
                <input
                  type="radio"
                  name={`${ids}-mode`}
                  value={mode.value}
                  checked={settings.mode === mode.value}
                  onChange={() => setSettings({ ...settings, mode: mode.value })}
                />
                <span>
                  {mode.label} <span className="muted">({mode.description})</span>
                </span>
              </label>
            ))}
          </fieldset>
          <label htmlFor={`${ids}-latency`}>Database latency (ms)</label>
          <input
            id={`${ids}-latency`}
            type="number"
            min={0}
            max={10000}
            required
            value={settings.dbLatencyMs}
            onChange={number("dbLatencyMs")}
          />
          <fieldset>
            <legend>Where</legend>
            <label className="choice">
              <input
                type="radio"
                name={`${ids}-where`}
                checked={!settings.spread}
                onChange={() => setSettings({ ...settings, spread: false })}
              />
              This instance
            </label>
            <label className="choice">
              <input
                type="radio"
                name={`${ids}-where`}
                checked={settings.spread}
                onChange={() => setSettings({ ...settings, spread: true })}
              />
              All live instances
            </label>
          </fieldset>
          <label htmlFor={`${ids}-user`}>User id (blank: the first user)</label>
          <input
            id={`${ids}-user`}
            type="number"
            min={1}
            value={settings.userId}
            onChange={(event) => setSettings({ ...settings, userId: event.target.value })}
          />
          <p className="hint">The key is deleted first, then every call asks for it at once. Database latency applies to every instance.</p>
          <ClusterNote liveInstances={liveInstances} spread={settings.spread} mode={settings.mode} />
          {run.isError && <ErrorNotice error={run.error} />}
          <div className="actions">
            <button type="submit" disabled={run.isPending}>
              {run.isPending ? "Running…" : "Run stampede"}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={run.isPending}
              onClick={() => run.mutate(["none", "local", "distributed"])}
            >
              Run all three modes
            </button>
          </div>
          <p className="muted" role="status" aria-label="Run progress">
            {running
              ? `Running ${MODES.find((mode) => mode.value === running.mode)?.label ?? running.mode}${
                  running.of > 1 ? ` (mode ${running.index + 1} of ${running.of})` : ""
                }: the calls wait on a ${settings.dbLatencyMs} ms database…`
              : ""}
          </p>
        </form>
      </Panel>
      <Panel title="Latest run">
        {latest ? <RunDetails recorded={latest} /> : <p className="muted">No run yet in this session. Set up a stampede and run it.</p>}
      </Panel>
      <Panel
        title="Runs this session"
        className="wide"
        actions={
          runs.length > 0 && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                saveRuns([]);
                setRuns([]);
              }}
            >
              Forget runs
            </button>
          )
        }
      >
        <Comparison runs={runs} />
      </Panel>
    </div>
  );
}

/** Why Local and Distributed may look alike: one instance, or every call in one process. */
function ClusterNote({ liveInstances, spread, mode }: { liveInstances: number | undefined; spread: boolean; mode: Protection }) {
  if (liveInstances === undefined) return null;
  if (liveInstances < 2) {
    return (
      <p className="notice" role="note">
        Only one instance is live, so Distributed looks the same as Local: the Redis lock only matters when several processes miss at once.
        Start more instances (<code>pnpm cluster</code>) to see it.
      </p>
    );
  }
  if (!spread && mode !== "none") {
    return (
      <p className="notice" role="note">
        {liveInstances} instances are live, but "This instance" runs every call in one process, where Local and Distributed both make one
        load. Choose "All live instances" to see what the distributed lock adds.
      </p>
    );
  }
  return null;
}

function RunDetails({ recorded }: { recorded: RecordedRun }) {
  const run = recorded.run;
  return (
    <section aria-label="Latest run results">
      <p>
        Run {recorded.number}: <strong>{run.mode}</strong>, {count(run.concurrency)} calls on user {run.id},{" "}
        {run.spread ? `spread over ${run.instances.length} instances` : "this instance"}, database latency {duration(recorded.dbLatencyMs)}.
      </p>
      <div className="stats">
        <Stat label="Database loads" value={count(run.dbLoads)} />
        <Stat label="Coalesced calls" value={count(run.coalesced)} />
        <Stat
          label="Waited on the lock"
          value={count(run.lockWaits)}
          detail={run.lockTimeouts ? `${run.lockTimeouts} timed out` : undefined}
        />
        <Stat label="Failed calls" value={count(run.errors)} />
        <Stat label="Duration" value={duration(run.durationMs)} />
        <Stat label="p50 / p95" value={`${duration(run.histogram.p50Ms)} / ${duration(run.histogram.p95Ms)}`} />
      </div>
      <p className="explanation">{explainRun(run)}</p>
      <Histogram histogram={run.histogram} />
      <InstanceBreakdown run={run} />
    </section>
  );
}

function InstanceBreakdown({ run }: { run: StampedeRun }) {
  return (
    <TableWrap label="Per-instance breakdown">
      <table aria-label="Per-instance breakdown">
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Calls</th>
            <th scope="col">DB loads</th>
            <th scope="col">Coalesced</th>
            <th scope="col">Lock waits</th>
            <th scope="col">p95</th>
            <th scope="col">Failure</th>
          </tr>
        </thead>
        <tbody>
          {run.instances.map((part) => (
            <tr key={part.instanceId}>
              <td>
                <code title={part.url}>{part.instanceId.slice(0, 8)}</code>
              </td>
              <td>{count(part.calls)}</td>
              <td>{count(part.dbLoads)}</td>
              <td>{count(part.coalesced)}</td>
              <td>{count(part.lockWaits)}</td>
              <td>{duration(part.histogram.p95Ms)}</td>
              <td>{part.failure ?? "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function Comparison({ runs }: { runs: RecordedRun[] }) {
  if (runs.length === 0) return <p className="muted">Each run is added here, so the three modes can be compared side by side.</p>;
  const latest = latestPerMode(runs);
  return (
    <>
      <ul className="mode-cards" aria-label="What happened in each mode">
        {MODES.map((mode) => {
          const recorded = latest[mode.value];
          return (
            <li key={mode.value} className="mode-card">
              <h3>{mode.label}</h3>
              {recorded ? (
                <>
                  <p className="big">
                    {count(recorded.run.dbLoads)} <span className="muted">database {recorded.run.dbLoads === 1 ? "load" : "loads"}</span>
                  </p>
                  <p>{explainRun(recorded.run)}</p>
                </>
              ) : (
                <p className="muted">Not run yet.</p>
              )}
            </li>
          );
        })}
      </ul>
      <TableWrap label="Runs this session">
        <table aria-label="Runs this session">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Mode</th>
              <th scope="col">Calls</th>
              <th scope="col">Where</th>
              <th scope="col">DB latency</th>
              <th scope="col">DB loads</th>
              <th scope="col">Coalesced</th>
              <th scope="col">Lock waits</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {[...runs].reverse().map((recorded) => (
              <tr key={recorded.run.runId}>
                <td>{recorded.number}</td>
                <td>{recorded.run.mode}</td>
                <td>{count(recorded.run.concurrency)}</td>
                <td>{recorded.run.spread ? `${recorded.run.instances.length} instances` : "this instance"}</td>
                <td>{duration(recorded.dbLatencyMs)}</td>
                <td>{count(recorded.run.dbLoads)}</td>
                <td>{count(recorded.run.coalesced)}</td>
                <td>{count(recorded.run.lockWaits)}</td>
                <td>{duration(recorded.run.histogram.p50Ms)}</td>
                <td>{duration(recorded.run.histogram.p95Ms)}</td>
                <td>{duration(recorded.run.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}
