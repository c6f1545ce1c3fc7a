import { count, duration } from "../format.js";
import type { CacheStats } from "../trpc.js";
import type { Readiness } from "./readiness.js";

function State({ up, children }: { up: boolean; children: React.ReactNode }) {
  return <span className={`pill ${up ? "ok" : "bad"}`}>{children}</span>;
}

function ago(at: number | null | undefined): string {
  return at ? `${duration(Math.max(0, Date.now() - at))} ago` : "never";
}

/**
 * What tells instances to drop a copy: the Redis bus (every write and clear), the Postgres listener
 * (NOTIFY from the users trigger, for writes that bypass the API) and the outbox (changes committed
 * in Postgres, delivered to Redis until acknowledged).
 */
export function InvalidationSources({ readiness, stats, label }: { readiness: Readiness; stats: CacheStats | undefined; label: string }) {
  const bus = stats?.tiers.bus;
  const listener = readiness.listener;
  const l2 = stats?.tiers.l2;
  return (
    <dl className="facts">
      <dt>Invalidation bus (Redis pub/sub)</dt>
      <dd>
        {bus ? (
          <>
            <State up={bus.connected}>{bus.connected ? "connected" : "disconnected"}</State>{" "}
            <span>
              {count(bus.published)} messages sent · {count(bus.received)} received · {count(bus.gaps)} gaps · {count(bus.flushes)} L1
              flushes
            </span>
            <span className="muted">
              {" "}
              · last message {ago(bus.lastMessageAt)} · {label}
            </span>
          </>
        ) : (
          <span className="muted">off (no Redis)</span>
        )}
      </dd>
      <dt>Database listener (Postgres NOTIFY)</dt>
      <dd>
        {listener ? (
          <>
            <State up={listener.connected}>{listener.connected ? "listening" : "reconnecting"}</State>{" "}
            <span>
              {count(listener.received)} row changes · last event {ago(listener.lastNotificationAt)} · {count(listener.reconnects)}{" "}
              reconnects
            </span>
            <span className="muted"> · instance {readiness.instance.slice(0, 8)}</span>
          </>
        ) : (
          <span className="muted">none on this instance</span>
        )}
      </dd>
      <dt>Outbox (transactional invalidations)</dt>
      <dd>
        {stats?.outbox ? (
          <>
            <State up={stats.outbox.depth === 0}>
              {stats.outbox.depth === 0 ? "all delivered" : `${count(stats.outbox.depth)} waiting`}
            </State>{" "}
            <span>
              depth {count(stats.outbox.depth)}
              {stats.outbox.depth > 0 ? ` · oldest ${duration(stats.outbox.oldestAgeMs)}` : ""} · {count(stats.outbox.delivered)} delivered
              · {count(stats.outbox.failedDeliveries)} failed deliveries · last drain {ago(stats.outbox.lastDrainAt)}
            </span>
          </>
        ) : (
          <span className="muted">unknown: Postgres did not answer</span>
        )}
      </dd>
      {l2 && (
        <>
          <dt>Waiting for Redis</dt>
          <dd>
            {count(l2.pendingInvalidations)} invalidations pending · {count(l2.replayedInvalidations)} replayed ·{" "}
            {count(l2.droppedInvalidations)} dropped
          </dd>
        </>
      )}
    </dl>
  );
}
