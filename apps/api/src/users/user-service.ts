import type { Cache, DetailedResult, Namespace, Protection } from "@hoard/cache";
import type { InvalidationOutbox } from "../db/outbox.js";
import type { DbLatency } from "../lab/db-latency.js";
import type { ProfileStore } from "./profile-store.js";
import type { UserFields, UserProfile, UsersRepository } from "./repository.js";

/** The cache namespace of user profiles; bump the version when UserProfile changes shape. */
export const USER_NAMESPACE = { name: "user", version: 1, ttlMs: 60_000, negativeTtlMs: 5_000 } as const;

/**
 * User profiles, cache-aside: reads through the `user` namespace. An update or
 * delete commits with its outbox row (the `users` trigger writes it in the same
 * transaction); the writer then settles that row itself before answering, so
 * the key is deleted once (fenced, published on the bus) and this instance
 * reads its own write. Loader calls are counted by the cache alone
 * (`loads` in its stats and `hoard_cache_loads_total`).
 */
export class UserService implements ProfileStore {
  readonly namespace: Namespace<UserProfile>;

  constructor(
    cache: Cache,
    private readonly repository: UsersRepository,
    private readonly latency: DbLatency,
    private readonly outbox: Pick<InvalidationOutbox, "settle">,
    /** false: reads skip the cache (CACHE_READS=off, for benchmarks). */
    private readonly cacheReads = true,
  ) {
    const { name, ...options } = USER_NAMESPACE;
    this.namespace = cache.namespace<UserProfile>(name, options);
  }

  /** One profile or null; absent ids are cached as absent for `negativeTtlMs`. */
  byId(id: number, protection?: Protection): Promise<UserProfile | null> {
    if (!this.cacheReads) return this.loadRow(id);
    return this.namespace.getOrSet(id, ({ signal }) => this.loadRow(id, signal), protection ? { protection } : undefined);
  }

  /** `byId` that also says where the answer came from (`loader` means Postgres) and how long it took. */
  byIdDetailed(id: number): Promise<DetailedResult<UserProfile>> {
    return this.namespace.getOrSetDetailed(id, ({ signal }) => this.loadRow(id, signal));
  }

  /** One row from Postgres; the lab's latency comes after the read, so a write can land during it (late fills, stampedes). */
  async loadRow(id: number, signal?: AbortSignal): Promise<UserProfile | null> {
    const row = await this.repository.findById(id);
    await this.latency.delay(signal);
    return row;
  }

  /** Whether a user row exists, straight from Postgres (no cache, no lab latency): the lab checks its target with it. */
  async exists(id: number): Promise<boolean> {
    return (await this.repository.findById(id)) !== null;
  }

  /** A page of profiles after `cursor` (an id): ids from the index, profiles from the cache in one batch. */
  async list(cursor: number, limit: number): Promise<{ items: UserProfile[]; nextCursor: number | null }> {
    const ids = await this.repository.pageIds(cursor, limit + 1);
    const pageIds = ids.slice(0, limit);
    const profiles = await this.namespace.getOrSetMany(pageIds, async (missing) => {
      const rows = await this.repository.findByIds(missing.map(Number));
      await this.latency.delay();
      return missing.map((id) => rows.get(Number(id)) ?? null);
    });
    const items = profiles.filter((profile): profile is UserProfile => profile !== null);
    return { items, nextCursor: ids.length > limit ? (pageIds[pageIds.length - 1] ?? null) : null };
  }

  async create(fields: UserFields): Promise<UserProfile> {
    const created = await this.repository.create(fields);
    // The new id may have been looked up (and cached as absent) before it existed. Inserts have no outbox
    // row (a bulk seed would queue one per row); an absent marker left by a failed delete lasts negativeTtlMs.
    await this.namespace.delete(created.id);
    return created;
  }

  async update(id: number, patch: Partial<UserFields>): Promise<UserProfile | null> {
    const updated = await this.repository.update(id, patch);
    // Redis unreachable: the row stays in the outbox and the drains deliver it; the write is durable either way.
    if (updated) await this.outbox.settle(USER_NAMESPACE.name, String(id));
    return updated;
  }

  async delete(id: number): Promise<boolean> {
    const deleted = await this.repository.delete(id);
    if (deleted) await this.outbox.settle(USER_NAMESPACE.name, String(id));
    return deleted;
  }
}
