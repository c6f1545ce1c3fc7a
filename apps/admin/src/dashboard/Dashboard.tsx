import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type uPlot from "uplot";
import { Chart, COLOURS } from "../components/Chart.js";
import { Panel, QueryView, Stat } from "../components/Panel.js";
import { count, duration, percent } from "../format.js";
import { type CacheStats, useTRPC } from "../trpc.js";
import { getOrSetLatency, hitRateOver, latencyHistory, opsColumns, ratesOver } from "./metrics.js";
import { fetchReadiness, type Readiness } from "./readiness.js";

const POLL_MS = 1_000;

/** The cache live: numbers polled every second, charts of the last five minutes, dependencies and instances. */
export function Dashboard() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.cache.stats.queryOptions(undefined, { refetchInterval: POLL_MS }));
  const readiness = useQuery({
    queryKey: ["readyz"],
    queryFn: ({ signal }) => fetchReadiness(signal),
    refetchInterval: 2 * POLL_MS,
  });

  if (stats.data) {
    const latency = getOrSetLatency(stats.data);
    latencyHistory.add({ at: stats.dataUpdatedAt, p50: latency.p50, p99: latency.p99, redisP99: stats.data.tiers.l2.roundTrip.p99 });
  }

  return (
    <div className="grid">
      <Panel title="Right now" className="wide">
        <QueryView query={stats} what="cache numbers">
          {(data) => <Numbers stats={data} />}
        </QueryView>
      </Panel>
      <Panel title="Operations per second, last 5 minutes">
        <QueryView query={stats} what="the series">
          {(data) => <OpsChart series={data.series} />}
        </QueryView>
      </Panel>
      <Panel title="Latency, last 5 minutes">
        <QueryView query={stats} what="latency">
          {() => <LatencyChart updatedAt={stats.dataUpdatedAt} />}
        </QueryView>
      </Panel>
      <Panel title="Postgres, Redis and the bus">
        <QueryView query={readiness} what="dependency state">
          {(ready) => <Dependencies readiness={ready} stats={stats.data} />}
        </QueryView>
      </Panel>
      <Panel title="Live instances">
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
  const perSecond = (value: number) => `${value.toFixed(value < 10 && value % 1 !== 0 ? 1 : 0)}/s`;
  return (
    <div className="stats">
      <Stat
        label="Hit rate"
        value={percent(stats.hitRate.overall)}
        detail={recent === null ? "no traffic in 10 s" : `last 10 s: ${percent(recent)}`}
      />
      <Stat label="L1 hits" value={perSecond(rates.l1Hits)} detail={`${count(totals.l1Hits)} total · ${percent(stats.hitRate.l1)}`} />
      <Stat label="L2 hits" value={perSecond(rates.l2Hits)} detail={`${count(totals.l2Hits)} total · ${percent(stats.hitRate.l2)}`} />
      <Stat label="Database loads" value={perSecond(rates.loads)} detail={`${count(totals.loads)} total`} />
      <Stat label="Misses" value={perSecond(rates.misses)} detail={`${count(totals.misses)} total`} />
      <Stat label="Negative hits" value={perSecond(rates.negativeHits)} detail={`${count(totals.negativeHits)} total`} />
      <Stat label="Stale serves" value={perSecond(rates.staleServed)} detail={`${count(totals.staleServed)} total`} />
      <Stat label="Coalesced calls" value={perSecond(rates.coalesced)} detail={`${count(totals.coalesced)} total`} />
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
  );
}

const OPS_OPTIONS: Omit<uPlot.Options, "width" | "height"> = {
  legend: { live: false },
  scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.1)] } },
  series: [
    {},
    { label: "L1 hits/s", stroke: COLOURS.blue, width: 2 },
    { label: "L2 hits/s", stroke: COLOURS.orange, width: 2 },
    { label: "DB loads/s", stroke: COLOURS.red, width: 2 },
  ],
  axes: [{}, { size: 50 }],
};

function OpsChart({ series }: { series: CacheStats["series"] }) {
  const data = useMemo(() => opsColumns(series), [series]);
  const rates = ratesOver(series);
  if (series.length === 0) return <p className="muted">The API samples every second; the first point appears shortly.</p>;
  return (
    <Chart
      title="L1 hits, L2 hits and database loads per second (this instance)"
      summary={`now ${rates.l1Hits.toFixed(0)} L1 hits, ${rates.l2Hits.toFixed(0)} L2 hits and ${rates.loads.toFixed(0)} database loads per second`}
      options={OPS_OPTIONS}
      data={data}
    />
  );
}

const LATENCY_OPTIONS: Omit<uPlot.Options, "width" | "height"> = {
  legend: { live: false },
  scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
  series: [
    {},
    { label: "getOrSet p50 (ms)", stroke: COLOURS.green, width: 2 },
    { label: "getOrSet p99 (ms)", stroke: COLOURS.purple, width: 2 },
    { label: "Redis round trip p99 (ms)", stroke: COLOURS.grey, width: 1, dash: [4, 4] },
  ],
  axes: [{}, { size: 50 }],
};

function LatencyChart({ updatedAt }: { updatedAt: number }) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: the history is mutable; each poll (updatedAt) makes new columns
  const data = useMemo((): uPlot.AlignedData => {
    const points = latencyHistory.list();
    return [points.map((p) => p.at / 1000), points.map((p) => p.p50), points.map((p) => p.p99), points.map((p) => p.redisP99)];
  }, [updatedAt]);
  const last = latencyHistory.list().at(-1);
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
  const bus = stats?.tiers.bus;
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
      <dt>Invalidation bus</dt>
      <dd>
        {bus ? (
          <>
            <State up={bus.connected}>{bus.connected ? "connected" : "disconnected"}</State>{" "}
            <span className="muted">
              {count(bus.published)} sent · {count(bus.received)} received · {count(bus.gaps)} gaps · {count(bus.flushes)} L1 flushes
            </span>
          </>
        ) : (
          <span className="muted">off</span>
        )}
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

function Instances({ stats }: { stats: CacheStats }) {
  const now = Date.now();
  if (stats.instances.length === 0) return <p className="muted">No heartbeat in Redis (is Redis down?).</p>;
  return (
    <div className="table-wrap">
      <table aria-label="Live instances">
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Address</th>
            <th scope="col">Up for</th>
            <th scope="col">Hit rate</th>
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
              <td>{percent(instance.summary.hitRate ?? 0)}</td>
              <td>{duration(instance.dbLatencyMs)}</td>
              <td>{duration(Math.max(0, now - instance.lastSeenAt))} ago</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
