import type pg from "pg";
import type { Logger } from "pino";

/** The table the triggers write (drizzle/0002_outbox.sql, 0003_outbox_trigger.sql). */
const TABLE = "cache_invalidation_outbox";

/** The channel `settle` notifies (`namespace:cacheId`) when its transaction removes a row: the key needs no wake drain. */
export const OUTBOX_SETTLED_CHANNEL = "cache_invalidation_outbox_settled";

/**
 * Delivers one invalidation to the cache. Resolves true only when Redis
 * acknowledged the delete (`Namespace.delete` resolves false otherwise); the
 * row is removed only then. `version` is the newest row version the change
 * covers (null when the row carries none), so the delete can be ordered.
 */
export type InvalidationTarget = (cacheId: string, version: number | null) => Promise<boolean>;

/**
 * What a writer delivers for its own change instead of the target's delete (write-through): `deliver`
 * resolves like a target; `version` is the row version it writes.
 */
export interface OwnDelivery {
  version: number;
  deliver(): Promise<boolean>;
}

/** Options of {@link InvalidationOutbox}. */
export interface OutboxOptions {
  /** How often each instance drains even without a notification (after a Redis outage, a missed NOTIFY). @default 1000 */
  intervalMs?: number;
  /** Rows locked and delivered per transaction. @default 200 */
  batchSize?: number;
  /**
   * How long a NOTIFY waits before it drains, in ms: the writing instance settles its own row at once
   * (see `settle`), so the key is deleted once, not 1 + N times; its settle's NOTIFY then spares every instance the drain.
   * @default 250
   */
  wakeDelayMs?: number;
  /**
   * Rows changed less than this long ago are left to their writer, which settles them itself within
   * milliseconds of the commit; the drains take them after that (the writer died, the change came from SQL).
   * Without it a periodic tick landing between a commit and its settle deletes the key a second time.
   * Keep it below `wakeDelayMs`. @default 200
   */
  writerGraceMs?: number;
  /** How long `settle` waits for a row another drainer holds before giving up on it (lock_timeout). @default 2000 */
  settleLockTimeoutMs?: number;
}

/** The outbox as /readyz, /metrics and the dashboard show it. */
export interface OutboxState {
  /** Undelivered rows (one per changed key). */
  depth: number;
  /** Age of the oldest undelivered change, in ms (0 when empty). */
  oldestAgeMs: number;
  /** Rows this instance delivered and removed. */
  delivered: number;
  /** Delivery attempts that Redis did not acknowledge (the row stayed). */
  failedDeliveries: number;
  /** When this instance last emptied or drained a batch, epoch ms, or null. */
  lastDrainAt: number | null;
}

/**
 * The drain side of the transactional outbox. Each row names a (namespace,
 * cache id) whose committed change is not yet known to be deleted from the
 * cache. Every instance drains: at start, every `intervalMs`, and shortly
 * after a NOTIFY. A drain locks a batch with `FOR UPDATE SKIP LOCKED` (so
 * several instances share the work and none delivers a row another holds),
 * deletes each key through the cache, and removes the rows Redis
 * acknowledged, in that one transaction. A row held by a drainer also holds
 * a concurrent change of the same key (the trigger's upsert waits for it), so
 * the change then gets a row of its own: no change is covered by a delete
 * that ran before it committed.
 */
export class InvalidationOutbox {
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly wakeDelayMs: number;
  private readonly settleLockTimeoutMs: number;
  private readonly writerGraceMs: number;
  /** Keys (`namespace:cacheId`) the pending wake was scheduled for; it drains only if one of them was not settled since. */
  private dueKeys = new Set<string>();
  /** Keys notified while a wake was pending: they get a wake of their own, `wakeDelayMs` after it. */
  private laterKeys = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private counters = { delivered: 0, failedDeliveries: 0, lastDrainAt: null as number | null };

  constructor(
    private readonly pool: pg.Pool,
    private readonly targets: ReadonlyMap<string, InvalidationTarget>,
    private readonly log: Logger,
    options: OutboxOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.batchSize = options.batchSize ?? 200;
    this.wakeDelayMs = options.wakeDelayMs ?? 250;
    this.settleLockTimeoutMs = options.settleLockTimeoutMs ?? 2_000;
    this.writerGraceMs = options.writerGraceMs ?? 200;
  }

  /** Drains what earlier runs (of any instance) left, then keeps draining every `intervalMs`. */
  start(): void {
    this.drain();
    this.timer = setInterval(() => this.drain(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * A NOTIFY arrived for `namespace:cacheId`: drain in `wakeDelayMs`, unless every key
   * notified for that wake was settled by its writer meanwhile ({@link settled}): the drain would find nothing, and
   * each API write would cost every instance an empty drain transaction. Wakes while one is pending fold into one
   * more wake after it, so every notified row is at least `wakeDelayMs` (past the writer's grace) old when a drain
   * runs. A settle that did not happen leaves its key due; the periodic drain stays the net under all of this.
   */
  wake(namespace: string, cacheId: string): void {
    if (this.closed) return;
    const pending = this.wakeTimer !== undefined;
    (pending ? this.laterKeys : this.dueKeys).add(`${namespace}:${cacheId}`);
    if (!pending) this.scheduleWake();
  }

  /**
   * A writer (this instance or another, told by NOTIFY) settled the row of `namespace:cacheId`: no wake needs to
   * drain it. Notifications arrive in commit order, so a change notified before this one was covered by that row.
   */
  settled(namespace: string, cacheId: string): void {
    const key = `${namespace}:${cacheId}`;
    this.dueKeys.delete(key);
    this.laterKeys.delete(key);
  }

  private scheduleWake(): void {
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      if (this.dueKeys.size > 0) void this.drain();
      this.dueKeys = this.laterKeys;
      this.laterKeys = new Set();
      if (!this.closed && this.dueKeys.size > 0) this.scheduleWake();
    }, this.wakeDelayMs);
    this.wakeTimer.unref();
  }

  /** Drains until the outbox is empty or a delivery fails (one drain at a time per instance; never rejects). */
  drain(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = this.drainLoop()
      .catch((error: Error) => this.log.warn({ err: error }, "outbox drain failed"))
      .finally(() => {
        this.draining = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          void this.drain();
        }
      });
    return this.draining;
  }

  /**
   * The writer's read-your-writes: called after its change committed, delivers
   * that key's row now, before the API answers, so the writing instance never
   * serves the old value after acknowledging the write (and the other
   * instances, woken later, find the row gone). If another drainer holds the
   * row, waits for it (at most `settleLockTimeoutMs`, then deletes without the
   * row); if the row is gone (delivered by someone else after the commit),
   * deletes once more so this instance's L1 is certainly dropped. Resolves
   * whether Redis acknowledged and the row was removed; false leaves the row
   * for the drains. `own` replaces the target's delete for this change (a
   * write-through set of the new row, falling back to a delete), unless the
   * row covers a newer change too (another writer's, coalesced into it): the
   * target's ordered delete then covers both.
   */
  async settle(namespace: string, cacheId: string, own?: OwnDelivery): Promise<boolean> {
    const registered = this.target(namespace);
    const target: InvalidationTarget = (id, version) =>
      own && (version === null || version <= own.version) ? own.deliver() : registered(id, version);
    const client = await this.checkout();
    let deleted = false;
    try {
      await client.query("BEGIN");
      await client.query(`SET LOCAL lock_timeout = ${Math.round(this.settleLockTimeoutMs)}`);
      const { rows } = await client.query<{ id: string; version: string | null }>(
        `SELECT id, version FROM ${TABLE} WHERE namespace = $1 AND cache_id = $2 FOR UPDATE`,
        [namespace, cacheId],
      );
      const version = rows[0]?.version;
      const acknowledged = await this.deliver(target, cacheId, version === undefined || version === null ? null : Number(version));
      deleted = true;
      // The settled NOTIFY (delivered at commit, after the change's own) lets every instance skip its wake drain for this key.
      if (acknowledged && rows[0])
        await client.query(`WITH removed AS (DELETE FROM ${TABLE} WHERE id = $1) SELECT pg_notify($2, $3)`, [
          rows[0].id,
          OUTBOX_SETTLED_CHANNEL,
          `${namespace}:${cacheId}`,
        ]);
      await client.query("COMMIT");
      if (acknowledged && rows[0]) this.counters.delivered++;
      return acknowledged;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      this.log.warn({ err: error, namespace, cacheId }, "outbox: settling a write failed; the drains will deliver it");
    } finally {
      client.release();
    }
    // The row could not be taken (another drainer held it past the lock timeout, or Postgres failed):
    // delete anyway, so this instance drops its copy (or keeps the delete for replay) before the API
    // answers; the row stays for the drains, and a second delete is harmless.
    if (!deleted) await this.deliver(target, cacheId, own?.version ?? null);
    return false;
  }

  /** Depth and oldest age from Postgres, with this instance's delivery counts. */
  async state(): Promise<OutboxState> {
    const { rows } = await this.pool.query<{ depth: string; oldest_age_ms: string | null }>(
      `SELECT count(*) AS depth, (extract(epoch FROM now() - min(first_changed_at)) * 1000)::bigint AS oldest_age_ms FROM ${TABLE}`,
    );
    return {
      depth: Number(rows[0]?.depth ?? 0),
      oldestAgeMs: Math.max(0, Number(rows[0]?.oldest_age_ms ?? 0)),
      ...this.counters,
    };
  }

  /** Stops draining; rows left are drained by the other instances or at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.wakeTimer);
    await this.draining;
  }

  private async drainLoop(): Promise<void> {
    for (;;) {
      const { locked, delivered } = await this.drainBatch();
      this.counters.lastDrainAt = Date.now();
      // Stop when empty, or when Redis did not take everything (the next tick retries).
      if (locked < this.batchSize || delivered < locked || this.closed) return;
    }
  }

  /** One transaction: lock up to `batchSize` rows nobody else holds, deliver them, remove the acknowledged ones. */
  private async drainBatch(): Promise<{ locked: number; delivered: number }> {
    const client = await this.checkout();
    try {
      await client.query("BEGIN");
      const { rows } = await client.query<{ id: string; namespace: string; cache_id: string; version: string | null }>(
        `SELECT id, namespace, cache_id, version FROM ${TABLE}
         WHERE namespace = ANY($1) AND last_changed_at <= now() - make_interval(secs => $3)
         ORDER BY first_changed_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [[...this.targets.keys()], this.batchSize, this.writerGraceMs / 1000],
      );
      const results = await Promise.all(
        rows.map((row) => this.deliver(this.target(row.namespace), row.cache_id, row.version === null ? null : Number(row.version))),
      );
      const done = rows.filter((_, index) => results[index]).map((row) => row.id);
      if (done.length > 0) await client.query(`DELETE FROM ${TABLE} WHERE id = ANY($1::bigint[])`, [done]);
      await client.query("COMMIT");
      this.counters.delivered += done.length;
      return { locked: rows.length, delivered: done.length };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * A pooled client for one transaction. While it is checked out the pool's
   * own error listener is off, and the transaction waits on Redis between its
   * queries: a connection reset then would be an unhandled 'error' event and
   * crash the process (found by the nemesis, seed 198240598). The failure
   * still reaches the transaction through its next query.
   */
  private async checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    const onError = (error: Error) => this.log.warn({ err: error }, "outbox: connection lost mid-transaction");
    client.on("error", onError);
    const release = client.release.bind(client);
    client.release = (destroy?: boolean | Error) => {
      client.removeListener("error", onError);
      return release(destroy);
    };
    return client;
  }

  private async deliver(target: InvalidationTarget, cacheId: string, version: number | null): Promise<boolean> {
    const acknowledged = await target(cacheId, version).catch((error: Error) => {
      this.log.warn({ err: error, cacheId }, "outbox: cache delete threw");
      return false;
    });
    if (!acknowledged) this.counters.failedDeliveries++;
    return acknowledged;
  }

  private target(namespace: string): InvalidationTarget {
    const target = this.targets.get(namespace);
    if (!target) throw new Error(`outbox: no cache namespace "${namespace}" is registered for invalidations`);
    return target;
  }
}
