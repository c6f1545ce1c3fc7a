/** The operation kinds the workload issues (see workload.ts for their weights). */
export type OpKind = "read" | "list" | "write" | "create" | "delete" | "clear" | "invalidate" | "invalidate-tag" | "stampede";

/** One call as the client saw it. */
export interface OpRecord {
  seq: number;
  kind: OpKind;
  instance: number;
  /** The user id (none for clear, list and invalidate-tag). */
  id?: number;
  startAt: number;
  endAt: number;
  ok: boolean;
  status: number;
  /** Reads: the version returned (DELETED for null). Writes: the version written (DELETED for a delete). */
  version?: number;
  /** Reads: the id of the profile returned, when it is not the id asked for (a reply meant for another key). */
  returnedId?: number;
}

/** One stampede: `calls` concurrent lookups of one key after it was invalidated, spread over instances. */
export interface StampedeRecord {
  seq: number;
  id: number;
  startAt: number;
  endAt: number;
  calls: number;
  /** Lookups answered from Postgres (`source: "database"`). */
  loads: number;
  failed: number;
  /** Instances the lookups went to. */
  instances: number[];
  /** Each lookup's answer: where it came from, how long the server took and when it answered (server clock). */
  answers: { instance: number; source: string; serverMs: number; endAt: number }[];
  /**
   * Redis failures the instances' caches saw during it (`cache.stats`: `totals.errors`, plus the L2
   * breaker opening or not closed at either end; summed; undefined when a stats call failed). Nonzero
   * means Redis failed a cache even with no fault injected (replies slower than commandTimeoutMs on a
   * loaded machine; an open breaker skips Redis without counting errors): the degraded bound applies.
   */
  redisErrors?: number;
  /** Per instance: some cache counters over the stampede (deltas) and its pending invalidations (the larger of before and after). */
  counters?: Record<string, Record<string, number>>;
  /** Set when the nemesis killed the lock holder in the middle of it. */
  lockHolderKilled?: number;
}

/** What the nemesis actually did and when (epoch ms), next to what the schedule said. */
export interface FaultWindow {
  faultId: number;
  description: string;
  kind: string;
  /** Instance the fault is about, if any. */
  instance?: number;
  from: number;
  to: number;
}

/** Everything recorded during one run. */
export class History {
  readonly ops: OpRecord[] = [];
  readonly stampedes: StampedeRecord[] = [];
  readonly faults: FaultWindow[] = [];
  private seq = 0;

  record(op: Omit<OpRecord, "seq">): OpRecord {
    const record = { ...op, seq: ++this.seq };
    this.ops.push(record);
    return record;
  }

  recordStampede(stampede: Omit<StampedeRecord, "seq">): void {
    this.stampedes.push({ ...stampede, seq: ++this.seq });
  }

  /** Faults whose window, widened by `settleMs` after it ends, overlaps [from, to]. */
  faultsDuring(from: number, to: number, settleMs: number): FaultWindow[] {
    return this.faults.filter((fault) => fault.from <= to && fault.to + settleMs >= from);
  }
}
