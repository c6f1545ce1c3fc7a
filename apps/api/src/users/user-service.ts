import type { Cache, DetailedResult, Namespace, Protection, WritePolicy } from "@hoard/cache";
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
    /** What an update does to the cached profile (PROFILE_WRITE_POLICY). */
    writePolicy: WritePolicy = "invalidate",
  ) {
    const { name, ...options } = USER_NAMESPACE;
    this.namespace = cache.namespace<UserProfile>(name, { ...options, writePolicy });
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

  /**
   * A page, read from Postgres in one query. Not composed from cached profiles: a page is shared by
   * every instance until the tag is invalidated again, so it must be as fresh as its tag sequence
   * says. A profile in this instance's L1 may be stale within what this instance may serve itself
   * (the bus allowance; seconds while its bus is down), and a page built from it after the tag's
   * latest invalidation would carry that staleness to every instance, the writer included, for the
   * page's whole TTL (found by the nemesis, seed 1 with list pages).
   */
  private async loadPage(cursor: number, limit: number): Promise<UserPage> {
    const rows = await this.repository.page(cursor, limit + 1);
    await this.latency.delay();
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
  }

  /**
   * Drops user `id` and every list page, in every instance: what a change of the
   * row invalidates (the outbox target of the `user` rows). Both are attempted even
   * when Redis is unreachable: each then drops this instance's L1 copies at once
   * and is replayed when Redis answers, so this instance reads its own write (the
   * nemesis found a list page left in L1 when the tag waited on the delete).
   * Resolves true only once Redis acknowledged both: the outbox keeps the row until then.
   * Under write-through the delete is ordered by `version` (the newest row version the outbox row
   * covers), so a late write-through set of an older row is refused afterwards.
   */
  async invalidate(id: number, version: number | null = null): Promise<boolean> {
    const ordered = this.writePolicy === "write-through" && version !== null;
    const [user, pages] = await Promise.all([
      ordered ? this.namespace.delete(id, { version }) : this.namespace.delete(id),
      this.cache.invalidateTags([USERS_LIST_TAG]),
    ]);
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

  /** What an update does to the cached profile: `invalidate` deletes it, `write-through` sets the new row with its version. */
  get writePolicy(): WritePolicy {
    return this.namespace.writePolicy;
  }

  /**
   * Commits, then settles the change's outbox row. With `write-through` the writer delivers its own
   * row: an ordered set (a concurrent writer's newer row wins whatever the order of the sets),
   * deleting the key when the set is refused or cannot land; the row stays for the drains unless
   * Redis acknowledged.
   */
  async update(id: number, patch: Partial<UserFields>): Promise<UserProfile | null> {
    const updated = await this.repository.updateWithVersion(id, patch);
    if (!updated) return null;
    // Redis unreachable: the row stays in the outbox and the drains deliver it; the write is durable either way.
    await this.outbox.settle(
      USER_NAMESPACE.name,
      String(id),
      this.writePolicy === "write-through" ? this.writeThrough(id, updated.profile, updated.version) : undefined,
    );
    return updated.profile;
  }

  async delete(id: number): Promise<boolean> {
    const version = await this.repository.deleteWithVersion(id);
    if (version === null) return false;
    await this.outbox.settle(
      USER_NAMESPACE.name,
      String(id),
      this.writePolicy === "write-through" ? this.writeThrough(id, null, version) : undefined,
    );
    return true;
  }

  /** A writer's own delivery under write-through: the new row (or, for a delete, its absence) at its version, then the list tag. */
  private writeThrough(id: number, profile: UserProfile | null, version: number) {
    return {
      version,
      // Both attempted even when Redis is unreachable, like `invalidate`: each drops this instance's L1 copies at once.
      deliver: async () => {
        const [result, pages] = await Promise.all([
          this.namespace.afterWrite(id, profile, { version }),
          this.cache.invalidateTags([USERS_LIST_TAG]),
        ]);
        return result.outcome !== "unavailable" && pages;
      },
    };
  }
}
