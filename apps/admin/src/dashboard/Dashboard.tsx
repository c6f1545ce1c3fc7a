import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import type uPlot from "uplot";
import { Chart, COLOURS } from "../components/Chart.js";
import { Panel, QueryView, Stat } from "../components/Panel.js";
import { TableWrap } from "../components/TableWrap.js";
import { errorCode } from "../errors.js";
import { count, duration, percent } from "../format.js";
import { type CacheStats, useTRPC } from "../trpc.js";
import { InvalidationSources } from "./InvalidationSources.js";
import { getOrSetLatency, hitRateOver, latencyHistory, lookupShares, opsColumns, ratesOver, withGaps } from "./metrics.js";
import { fetchReadiness, type Readiness } from "./readiness.js";
import { ScopePicker } from "./ScopePicker.js";
import { scopeLabel, useScope } from "./scope.js";

const POLL_MS = 1_000;

/** The cache live: numbers polled every second, charts of the last five minutes, dependencies and instances. */
export function Dashboard() {
  const trpc = useTRPC();
  const [scope, setScope] = useScope();
  const stats = useQuery(trpc.cache.stats.queryOptions({ of: scope === "cluster" ? "cluster" : scope }, { refetchInterval: POLL_MS }));
  const readiness = useQuery({
    queryKey: ["readyz"],
    queryFn: ({ signal }) => fetchReadiness(signal),
    refetchInterval: 2 * POLL_MS,
  });
  // The picked instance stopped: back to the cluster total rather than an error panel.
  useEffect(() => {
    if (scope !== "cluster" && stats.isError && errorCode(stats.error) === "NOT_FOUND") setScope("cluster");
  }, [scope, stats.isError, stats.error, setScope]);

  const label = stats.data ? scopeLabel(stats.data) : "…";
  const historyKey = stats.data ? (stats.data.scope.kind === "cluster" ? "cluster" : stats.data.scope.instanceId) : "";
  if (stats.data) {
    const latency = getOrSetLatency(stats.data);
    latencyHistory.add(historyKey, {
      at: stats.dataUpdatedAt,
      p50: latency.p50,
      p99: latency.p99,
      redisP99: stats.data.tiers.l2.roundTrip.p99,
    });
  }

  return (
    <div className="grid">
      <Panel
        title={`Right now: ${label}`}
        className="wide"
        actions={stats.data && <ScopePicker scope={scope} onChange={setScope} instances={stats.data.instances} />}
      >
        <QueryView query={stats} what="cache numbers">
          {(data) => <Numbers stats={data} />}
        </QueryView>
      </Panel>
      <Panel title={`Operations per second, last 5 minutes: ${label}`}>
        <QueryView query={stats} what="the series">
          {(data) => <OpsChart series={data.series} label={label} />}
        </QueryView>
      </Panel>
      <Panel title={`Latency, last 5 minutes: ${label}`}>
        <QueryView query={stats} what="latency">
          {() => <LatencyChart updatedAt={stats.dataUpdatedAt} historyKey={historyKey} />}
        </QueryView>
      </Panel>
      <Panel title="Invalidation sources">
        <QueryView query={readiness} what="invalidation sources">
          {(ready) => <InvalidationSources readiness={ready} stats={stats.data} label={label} />}
        </QueryView>
      </Panel>
      <Panel title="Postgres and Redis">
        <QueryView query={readiness} what="dependency state">
          {(ready) => <Dependencies readiness={ready} stats={stats.data} />}
        </QueryView>
      </Panel>
      <Panel title="Live instances" className="wide">
        <QueryView query={stats} what="instances">
          {(data) => <Instances stats={data} />}
        </QueryView>
      </Panel>
    </div>
  );
}

function Numbers({ stats }: { stats: CacheStats }) {
  const rates = ratesOver(stats.series);
  const recent = hitRateOver(stats.series);
  const totals = stats.totals;
  const shares = lookupShares(totals);
  const perSecond = (value: number) => `${value.toFixed(value < 10 && value % 1 !== 0 ? 1 : 0)}/s`;
  return (
    <>
      <div className="stats">
        <Stat
          label="Hit rate"
          value={percent(shares.hitRate)}
          detail={`L1 + L2 of ${count(shares.lookups)} lookups · ${recent === null ? "no traffic in 10 s" : `last 10 s: ${percent(recent)}`}`}
        />
        <Stat label="L1 hits" value={percent(shares.l1)} detail={`${count(totals.l1Hits)} lookups · ${perSecond(rates.l1Hits)}`} />
        <Stat label="L2 hits" value={percent(shares.l2)} detail={`${count(totals.l2Hits)} lookups · ${perSecond(rates.l2Hits)}`} />
        <Stat
          label="Joined a load"
          value={percent(shares.joined)}
          detail={`${count(totals.coalesced)} lookups · ${perSecond(rates.coalesced)}`}
        />
        <Stat
          label="Missed both tiers"
          value={percent(shares.missed)}
          detail={`${count(totals.misses)} lookups · ${perSecond(rates.misses)}`}
        />
      </div>
      <p className="hint" id="hit-rate-definition">
        Every figure above is a share of the same {count(shares.lookups)} lookups (one per id read through the cache), and they add up to
        100%{shares.other > 0 ? ` (${percent(shares.other)} still in flight)` : ""}: answered from L1 (this process's memory), from L2
        (Redis), joined a database load already running in the same process, or missed both tiers (then loaded from the database, waited on
        the distributed lock, or served stale). Hit rate = L1 + L2. The cache browser's per-namespace hit rate uses the same definition.
      </p>
      <div className="stats">
        <Stat label="Database loads" value={perSecond(rates.loads)} detail={`${count(totals.loads)} total`} />
        <Stat
          label="Negative hits"
          value={perSecond(rates.negativeHits)}
          detail={`${count(totals.negativeHits)} total, within L1 + L2 hits`}
        />
        <Stat label="Stale serves" value={perSecond(rates.staleServed)} detail={`${count(totals.staleServed)} total`} />
        <Stat label="Waited on the lock" value={perSecond(rates.lockWaits)} detail={`${count(totals.lockWaits)} total, within misses`} />
        <Stat label="L1 entries" value={count(stats.tiers.l1.entries)} detail={`of ${count(stats.tiers.l1.maxEntries)} max`} />
        <Stat label="Loads in flight" value={count(stats.inFlight)} />
        <Stat
          label="Invalidation outbox"
          value={stats.outbox ? count(stats.outbox.depth) : "unknown"}
          detail={
            stats.outbox
              ? stats.outbox.depth === 0
                ? "all delivered"
                : `oldest ${duration(stats.outbox.oldestAgeMs)}`
              : "Postgres did not answer"
          }
        />
      </div>
    </>
  );
}

/** A step longer than this between two points is a gap (tab closed or hidden): the line breaks there. */
const GAP_MS = 2_500;

/** One-line time labels at least 80 px apart and a fixed-width value axis, so labels never overlap or clip at 375 px. */
const AXES: uPlot.Axis[] = [
  {
    space: 80,
    size: 30,
    values: (_plot, splits) => splits.map((at) => new Date(at * 1000).toLocaleTimeString("en-GB", { hour12: false })),
  },
  { size: 50, space: 30 },
];

/**
 * Time on x, from the first to the last point; a single point (the first second of a history) or none
 * gets the 10 s before it, where uPlot alone would span 1970 and label every split 00:00:00.
 */
const TIME_SCALE: uPlot.Scale = {
  time: true,
  range: (u) => {
    const times = u.data[0] ?? [];
    const first = times[0];
    const last = times[times.length - 1] ?? Date.now() / 1000;
    return first === undefined || first === last ? [last - 10, last] : [first, last];
  },
};

/** Room on the right for half a time label, so the label of the newest point is not cut off at the edge. */
const PADDING: uPlot.Padding = [null, 30, null, null];

const OPS_OPTIONS: Omit<uPlot.Options, "width" | "height"> = {
  legend: { live: false },
  padding: PADDING,
  scales: { x: TIME_SCALE, y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.1)] } },
  series: [
    {},
    { label: "L1 hits/s", stroke: COLOURS.blue, width: 2 },
    { label: "L2 hits/s", stroke: COLOURS.orange, width: 2 },
    { label: "DB loads/s", stroke: COLOURS.red, width: 2 },
  ],
  axes: AXES,
};

function OpsChart({ series, label }: { series: CacheStats["series"]; label: string }) {
  const data = useMemo(() => withGaps(opsColumns(series), GAP_MS) as uPlot.AlignedData, [series]);
  const rates = ratesOver(series);
  if (series.length === 0) return <p className="muted">The API samples every second; the first point appears shortly.</p>;
  return (
    <Chart
      title={`L1 hits, L2 hits and database loads per second (${label})`}
      summary={`now ${rates.l1Hits.toFixed(0)} L1 hits, ${rates.l2Hits.toFixed(0)} L2 hits and ${rates.loads.toFixed(0)} database loads per second`}
      options={OPS_OPTIONS}
      data={data}
    />
  );
}

const LATENCY_OPTIONS: Omit<uPlot.Options, "width" | "height"> = {
  legend: { live: false },
  padding: PADDING,
  scales: { x: TIME_SCALE, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
  series: [
    {},
    { label: "getOrSet p50 (ms)", stroke: COLOURS.green, width: 2 },
    { label: "getOrSet p99 (ms)", stroke: COLOURS.purple, width: 2 },
    { label: "Redis round trip p99 (ms)", stroke: COLOURS.grey, width: 1, dash: [4, 4] },
  ],
  axes: AXES,
};

function LatencyChart({ updatedAt, historyKey }: { updatedAt: number; historyKey: string }) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: the history is mutable; each poll (updatedAt) makes new columns
  const data = useMemo((): uPlot.AlignedData => {
    const points = latencyHistory.list(historyKey);
    const columns = [points.map((p) => p.at / 1000), points.map((p) => p.p50), points.map((p) => p.p99), points.map((p) => p.redisP99)];
    return withGaps(columns, GAP_MS) as uPlot.AlignedData;
  }, [updatedAt, historyKey]);
  const last = latencyHistory.list(historyKey).at(-1);
  return (
    <>
      <Chart
        title="p50 and p99 of cache calls past L1, and of Redis round trips"
        summary={last ? `p50 ${duration(last.p50)}, p99 ${duration(last.p99)}, Redis p99 ${duration(last.redisP99)}` : "no data yet"}
        options={LATENCY_OPTIONS}
        data={data}
      />
      <p className="hint">Percentiles of the library's recent calls, sampled each second while this tab is open (L1 hits are not timed).</p>
    </>
  );
}

function State({ up, children }: { up: boolean; children: React.ReactNode }) {
  return <span className={`pill ${up ? "ok" : "bad"}`}>{children}</span>;
}

function Dependencies({ readiness, stats }: { readiness: Readiness; stats: CacheStats | undefined }) {
  const l2 = stats?.tiers.l2;
  return (
    <dl className="facts">
      <dt>Postgres</dt>
      <dd>
        <State up={readiness.postgres.state === "up"}>{readiness.postgres.state}</State> {readiness.postgres.mode}
        {readiness.postgres.error && <span className="muted"> · {readiness.postgres.error}</span>}
      </dd>
      <dt>Redis</dt>
      <dd>
        <State up={readiness.redis.state === "up"}>{readiness.redis.state}</State> {readiness.redis.mode}
        {l2 && (
          <span className="muted">
            {" "}
            · circuit {l2.circuit} · round trip p50 {duration(l2.roundTrip.p50)}
          </span>
        )}
        {readiness.redis.error && <span className="muted"> · {readiness.redis.error}</span>}
      </dd>
      <dt>Readiness</dt>
      <dd>
        <State up={readiness.status === "ready"}>{readiness.status}</State>
      </dd>
      {readiness.warnings.length > 0 && (
        <>
          <dt>Warnings</dt>
          <dd>
            <ul className="plain">
              {readiness.warnings.map((warning) => (
                <li key={warning}>{warning}</li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

/** The heartbeat's summary carries the instance's totals: read the counters the hit rate needs. */
function summaryCounters(summary: Record<string, number>) {
  const read = (name: string) => summary[name] ?? 0;
  return {
    l1Hits: read("l1Hits"),
    l1Misses: read("l1Misses"),
    l2Hits: read("l2Hits"),
    coalesced: read("coalesced"),
    misses: read("misses"),
  };
}

function Instances({ stats }: { stats: CacheStats }) {
  const now = Date.now();
  if (stats.instances.length === 0) return <p className="muted">No heartbeat in Redis (is Redis down?).</p>;
  return (
    <TableWrap label="Live instances">
      <table aria-label="Live instances">
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Address</th>
            <th scope="col">Up for</th>
            <th scope="col">Hit rate (L1 + L2)</th>
            <th scope="col">DB latency</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {stats.instances.map((instance) => (
            <tr key={instance.id}>
              <td>
                <code title={instance.id}>{instance.id.slice(0, 8)}</code>
                {instance.id === stats.instance.id && <span className="pill">this one</span>}
              </td>
              <td>{instance.url}</td>
              <td>{duration(now - instance.startedAt)}</td>
              <td>{percent(lookupShares(summaryCounters(instance.summary)).hitRate)}</td>
              <td>{duration(instance.dbLatencyMs)}</td>
              <td>{duration(Math.max(0, now - instance.lastSeenAt))} ago</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
