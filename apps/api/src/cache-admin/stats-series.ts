import type { Cache, NamespaceCounters } from "@hoard/cache";

/** One second of cache activity (counter deltas since the previous sample). */
export interface StatsSample {
  at: number;
  l1Hits: number;
  l2Hits: number;
  negativeHits: number;
  misses: number;
  loads: number;
  coalesced: number;
  lockWaits: number;
  lockTimeouts: number;
  fillsRefused: number;
  staleServed: number;
  errors: number;
  l1Entries: number;
  /** p95 of getOrSet over the library's recent window, in ms. */
  getOrSetP95Ms: number;
}

const FIELDS = [
  "l1Hits",
  "l2Hits",
  "negativeHits",
  "misses",
  "loads",
  "coalesced",
  "lockWaits",
  "lockTimeouts",
  "fillsRefused",
  "staleServed",
  "errors",
] as const satisfies readonly (keyof NamespaceCounters)[];

/** Samples `cache.stats()` every second and keeps the last five minutes. */
export class StatsSeries {
  private readonly samples: StatsSample[] = [];
  private previous: NamespaceCounters | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cache: Cache,
    private readonly intervalMs = 1_000,
    private readonly capacity = 300,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Oldest first. */
  list(): StatsSample[] {
    return [...this.samples];
  }

  private sample(): void {
    const snapshot = this.cache.stats();
    const totals = snapshot.totals;
    const previous = this.previous;
    this.previous = { ...totals };
    if (!previous) return;
    const sample = { at: Date.now(), l1Entries: snapshot.l1.entries, getOrSetP95Ms: 0 } as StatsSample;
    for (const field of FIELDS) sample[field] = totals[field] - previous[field];
    sample.getOrSetP95Ms = Math.max(0, ...snapshot.namespaces.map((namespace) => namespace.latency.getOrSet?.p95 ?? 0));
    this.samples.push(sample);
    if (this.samples.length > this.capacity) this.samples.shift();
  }
}
