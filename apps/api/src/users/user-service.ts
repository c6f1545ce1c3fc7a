import type { Cache, DetailedResult, Namespace, Protection } from "@hoard/cache";
import type { InvalidationOutbox } from "../db/outbox.js";
import type { DbLatency } from "../lab/db-latency.js";
import type { ProfileStore } from "./profile-store.js";
import type { UserFields, UserProfile, UsersRepository } from "./repository.js";

/** The cache namespace of user profiles; bump the version when UserProfile changes shape. */
export const USER_NAMESPACE = { name: "user", version: 1, ttlMs: 60_000, negativeTtlMs: 5_000 } as const;

/** The cache namespace of `user.list` pages (id `cursor:limit`), every page tagged {@link USERS_LIST_TAG}. */
export const USER_LIST_NAMESPACE = { name: "user-list", version: 1, ttlMs: 60_000 } as const;

/** The tag every cached list page carries: any create, update or delete of a user invalidates it. */
export const USERS_LIST_TAG = "users:list";

/** One page of `user.list`. */
export interface UserPage {
  items: UserProfile[];
  nextCursor: number | null;
}

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
  readonly pages: Namespace<UserPage>;

  constructor(
    private readonly cache: Cache,
    private readonly repository: UsersRepository,
    private readonly latency: DbLatency,
    private readonly outbox: Pick<InvalidationOutbox, "settle">,
    /** false: reads skip the cache (CACHE_READS=off, for benchmarks). */
    private readonly cacheReads = true,
  ) {
    const { name, ...options } = USER_NAMESPACE;
    this.namespace = cache.namespace<UserProfile>(name, options);
    const { name: pagesName, ...pageOptions } = USER_LIST_NAMESPACE;
    this.pages = cache.namespace<UserPage>(pagesName, pageOptions);
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

  /**
   * A page of profiles after `cursor` (an id), cached whole in the `user-list` namespace and tagged
   * `users:list`, so any create, update or delete of a user (through the API or the outbox) drops every page.
   */
  list(cursor: number, limit: number): Promise<UserPage> {
    if (!this.cacheReads) return this.loadPage(cursor, limit);
    return this.pages
      .getOrSet(`${cursor}:${limit}`, () => this.loadPage(cursor, limit), { tags: [USERS_LIST_TAG] })
      .then((page) => page ?? { items: [], nextCursor: null });
  }

  /** A page: ids from the index, profiles from the cache in one batch. */
  private async loadPage(cursor: number, limit: number): Promise<UserPage> {
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

  /**
   * Drops user `id` and every list page, in every instance: what a change of the
   * row invalidates (the outbox target of the `user` rows). Both are attempted even
   * when Redis is unreachable: each then drops this instance's L1 copies at once
   * and is replayed when Redis answers, so this instance reads its own write (the
   * nemesis found a list page left in L1 when the tag waited on the delete).
   * Resolves true only once Redis acknowledged both: the outbox keeps the row until then.
   */
  async invalidate(id: number): Promise<boolean> {
    const [user, pages] = await Promise.all([this.namespace.delete(id), this.cache.invalidateTags([USERS_LIST_TAG])]);
    return user && pages;
  }

  async create(fields: UserFields): Promise<UserProfile> {
    const created = await this.repository.create(fields);
    // The new id may have been looked up (and cached as absent) before it existed. Inserts have no outbox
    // row per user (a bulk seed would queue one per row); an absent marker left by a failed delete lasts negativeTtlMs.
    await this.namespace.delete(created.id);
    // The insert's statement trigger queued the list tag's outbox row: deliver it now, so the next page read
    // on any instance shows the new user (drizzle/0004_users_list_tag.sql).
    await this.outbox.settle("tag", USERS_LIST_TAG);
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
