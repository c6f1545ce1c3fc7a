/**
 * The consistency checker's model of a run: acknowledged writes and reads, and
 * which reads were stale. Used by the chaos suite, the nemesis and the
 * benchmarks (which count stale reads of every cache strategy with it).
 */

/** A stale read older than this (ms after the newer write was acknowledged) is a lost invalidation, not bus delay. */
export const BUS_DELAY_BUDGET_MS = 1_000;

/** One acknowledged write: `id` now holds `version` (acknowledged by `instance` at `ackAt`). */
export interface WriteRecord {
  id: number;
  version: number;
  instance: number;
  startAt: number;
  ackAt: number;
}

/** One read: `instance` answered `version` (or failed) for a call made between `startAt` and `endAt`. */
export interface ReadRecord {
  id: number;
  instance: number;
  startAt: number;
  endAt: number;
  ok: boolean;
  status: number;
  version: number;
  /**
   * The call was in flight to an instance the test took down (killed or stopped) and failed: the dead
   * backend's loss, which a load balancer would retry, not a failure of the cluster.
   */
  cutOff?: boolean;
}

/** A read that returned an older version than one acknowledged before the read began. */
export interface StaleRead {
  read: ReadRecord;
  /** How long before the read began the first newer write was acknowledged, in ms. */
  staleForMs: number;
  /** The newer write was acknowledged by the instance that served the stale read. */
  sameInstance: boolean;
}

/**
 * The recorded history of a run and its checks. Versions per id only grow
 * (one writer per id), so "newer" is well defined.
 */
export class History {
  readonly writes: WriteRecord[] = [];
  readonly reads: ReadRecord[] = [];
  /** Writes that were not acknowledged (they may or may not have been applied). */
  readonly failedWrites: { id: number; startAt: number; status: number }[] = [];
  private readonly writesById = new Map<number, WriteRecord[]>();

  addWrite(write: WriteRecord): void {
    this.writes.push(write);
    const list = this.writesById.get(write.id) ?? [];
    list.push(write);
    this.writesById.set(write.id, list);
  }

  addRead(read: ReadRecord): void {
    this.reads.push(read);
  }

  /** Every successful read that was stale, with how stale. */
  staleReads(from = 0, to = Number.POSITIVE_INFINITY): StaleRead[] {
    const stale: StaleRead[] = [];
    for (const read of this.reads) {
      if (!read.ok || read.startAt < from || read.startAt > to) continue;
      // The first write newer than what the read returned, acknowledged before the read began.
      const newer = (this.writesById.get(read.id) ?? []).find((write) => write.version > read.version && write.ackAt <= read.startAt);
      if (!newer) continue;
      const sameInstance = (this.writesById.get(read.id) ?? []).some(
        (write) => write.version > read.version && write.ackAt <= read.startAt && write.instance === read.instance,
      );
      stale.push({ read, staleForMs: read.startAt - newer.ackAt, sameInstance });
    }
    return stale;
  }
}

/** p-quantile of `values` (nearest rank), 0 when empty. */
export function quantile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

/** The version a profile carries in its display name (`v<n>`, as the checkers write it), or -1 (absent or unversioned). */
export function versionOf(body: unknown): number {
  const name = (body as { displayName?: string } | null)?.displayName;
  return name?.startsWith("v") ? Number(name.slice(1)) : -1;
}
