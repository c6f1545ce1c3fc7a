import { seededRandom } from "@hoard/test-servers";
/** The mixed workload's shape, from the issue: Zipf ids, mostly reads, some updates, some reads of missing ids. */
export interface WorkloadShape {
  /** Users in the database (ids 1..users). @default 100_000 */
  users: number;
  /** Zipf exponent of the ids read and written. @default 1.0 */
  zipfS: number;
  /** Share of requests that update a profile. @default 0.05 */
  writeShare: number;
  /** Share of reads for an id that has no user (drawn Zipf over ids above `users`). @default 0.02 */
  missingShare: number;
}

export const DEFAULT_SHAPE: WorkloadShape = { users: 100_000, zipfS: 1.0, writeShare: 0.05, missingShare: 0.02 };

/** One request of the workload. */
export type Operation = { kind: "read"; id: number } | { kind: "write"; id: number };

/** mulberry32 (shared with the tests' seeded schedules), so every variant sees the same sequence of requests. */
export { seededRandom };

/** Ranks 1..n with P(rank) proportional to 1 / rank^s, by binary search over the cumulative weights. */
export class Zipf {
  private readonly cumulative: Float64Array;

  constructor(
    readonly n: number,
    s: number,
  ) {
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let rank = 1; rank <= n; rank++) {
      total += 1 / rank ** s;
      this.cumulative[rank - 1] = total;
    }
    for (let i = 0; i < n; i++) (this.cumulative as Float64Array)[i] = (this.cumulative[i] as number) / total;
  }

  /** A rank from 1 (the hottest) to n, for a uniform `u` in [0, 1). */
  rank(u: number): number {
    let low = 0;
    let high = this.n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.cumulative[mid] as number) < u) low = mid + 1;
      else high = mid;
    }
    return low + 1;
  }
}

/**
 * The request stream: existing users are ids 1..users by Zipf rank (id 1 is the
 * hottest), missing ids are users+1.. by Zipf rank too (a flood of the same
 * bad ids, which negative caching absorbs and the recipe does not).
 */
export class Workload {
  private readonly zipf: Zipf;
  private readonly random: () => number;

  constructor(
    readonly shape: WorkloadShape,
    seed: number,
  ) {
    this.zipf = new Zipf(shape.users, shape.zipfS);
    this.random = seededRandom(seed);
  }

  /** The id every client asks for in the cold-start stampede. */
  get hottestId(): number {
    return 1;
  }

  next(): Operation {
    const id = this.zipf.rank(this.random());
    if (this.random() < this.shape.writeShare) return { kind: "write", id };
    if (this.random() < this.shape.missingShare) return { kind: "read", id: this.shape.users + id };
    return { kind: "read", id };
  }
}
