import { leaseKeyOf } from "../encoding/keys.js";
import { type BusMessageFactory, type L2Store, UNAVAILABLE } from "../tiers/l2-store.js";

/** Most keys remembered; past it, the oldest are dropped (and counted: their entries expire by TTL). */
const MAX_PENDING_KEYS = 100_000;

/**
 * Invalidations that could not reach Redis (down, or the breaker open). A
 * write to Postgres followed by a lost delete would leave L2, and every other
 * process's L1, stale until TTL; so they are kept and replayed, in order,
 * as soon as Redis answers again.
 */
export class PendingInvalidations {
  private readonly keys = new Set<string>();
  /** Prefixes of namespaces to clear. */
  private readonly namespaces = new Set<string>();
  /** Locks this process holds but could not free: lock key to token. */
  private readonly releases = new Map<string, string>();
  /** Tags to invalidate or expire (an invalidation covers an expiry of the same tag). */
  private readonly tags = new Map<string, "inv" | "exp">();
  /** Sends one tag invalidation or expiry; set by the cache. Resolves false when Redis could not be reached. */
  replayTags: (kind: "inv" | "exp", tags: string[]) => Promise<boolean> = async () => false;
  private replaying: Promise<void> | undefined;
  /** Keys dropped because the set was full. */
  dropped = 0;
  /** Invalidations replayed after Redis came back. */
  replayed = 0;

  /**
   * @param onAdded called whenever something becomes pending (the cache schedules a retry).
   * @param leaseTtlMs the cache's lease TTL (a replayed clear's generation outlives every lease).
   */
  constructor(
    private readonly onAdded: () => void = () => {},
    private readonly leaseTtlMs: () => number = () => 60_000,
  ) {}

  get size(): number {
    return this.keys.size + this.namespaces.size + this.releases.size + this.tags.size;
  }

  /**
   * Whether an invalidation of `key` (its own delete, or its namespace's clear)
   * is still waiting for Redis: L2 may then hold exactly the value it removed,
   * so reads must not take it from there until the replay lands.
   */
  covers(key: string): boolean {
    if (this.keys.size === 0 && this.namespaces.size === 0) return false;
    if (this.keys.has(key)) return true;
    for (const prefix of this.namespaces) if (key.startsWith(prefix)) return true;
    return false;
  }

  addKey(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > MAX_PENDING_KEYS) {
      const oldest = this.keys.values().next().value as string;
      this.keys.delete(oldest);
      this.dropped++;
    }
    this.onAdded();
  }

  /** A lock to free (compare-and-delete, so only if still ours) once Redis answers. */
  addRelease(lockKey: string, token: string): void {
    if (this.releases.size >= MAX_PENDING_KEYS) return; // they expire at lockTtlMs anyway
    this.releases.set(lockKey, token);
    this.onAdded();
  }

  /** Tags whose invalidation (or expiry) could not reach Redis. */
  addTags(kind: "inv" | "exp", tags: readonly string[]): void {
    for (const tag of tags) if (kind === "inv" || !this.tags.has(tag)) this.tags.set(tag, kind);
    this.onAdded();
  }

  addNamespace(prefix: string): void {
    this.namespaces.add(prefix);
    // A namespace clear covers every pending key under it.
    for (const key of this.keys) if (key.startsWith(prefix)) this.keys.delete(key);
    this.onAdded();
  }

  /** Sends what is pending; stops at the first failure and keeps the rest. One replay at a time. */
  replay(l2: L2Store, message: (type: "inv" | "clear" | "rel", key: string) => BusMessageFactory): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    this.replaying ??= this.run(l2, message).finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async run(l2: L2Store, message: (type: "inv" | "clear" | "rel", key: string) => BusMessageFactory): Promise<void> {
    for (const [lockKey, token] of [...this.releases]) {
      const valueKey = lockKey.slice(0, -":lock".length);
      if ((await l2.release(lockKey, token, message("rel", valueKey))) === UNAVAILABLE) return;
      this.releases.delete(lockKey);
    }
    for (const prefix of [...this.namespaces]) {
      if ((await l2.clearNamespace(prefix, this.leaseTtlMs())) === UNAVAILABLE) return;
      await l2.publish(message("clear", prefix));
      this.namespaces.delete(prefix);
      this.replayed++;
    }
    for (const kind of ["inv", "exp"] as const) {
      const tags = [...this.tags].filter(([, each]) => each === kind).map(([tag]) => tag);
      if (tags.length === 0) continue;
      if (!(await this.replayTags(kind, tags))) return;
      for (const tag of tags) if (this.tags.get(tag) === kind) this.tags.delete(tag);
      this.replayed += tags.length;
    }
    for (const key of [...this.keys]) {
      if ((await l2.write({ value: key, lease: leaseKeyOf(key) }, null, 0, message("inv", key))) === UNAVAILABLE) return;
      this.keys.delete(key);
      this.replayed++;
    }
  }
}
