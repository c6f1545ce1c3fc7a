import { asc, eq, getTableColumns, gt } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { type UserRow, users } from "../db/schema.js";
import type { ApiMetrics } from "../http/metrics.js";

/** A profile as the API returns and caches it (timestamps as ISO strings, identical from every tier); the row version travels beside it. */
export type UserProfile = Omit<UserRow, "version">;

/** A committed change: the profile as written and the row version the database gave it. */
export interface VersionedProfile {
  profile: UserProfile;
  version: number;
}

const { version: _version, ...profileColumns } = getTableColumns(users);

/** Fields a caller may set. */
export interface UserFields {
  username: string;
  email: string;
  displayName: string;
  bio: string;
}

/** Every query the API makes on `users`, each timed and counted by operation. */
export class UsersRepository {
  constructor(
    private readonly db: Database,
    private readonly metrics: ApiMetrics,
  ) {}

  async findById(id: number): Promise<UserProfile | null> {
    const rows = await this.metrics.timeQuery("user.findById", () =>
      this.db.select(profileColumns).from(users).where(eq(users.id, id)).limit(1),
    );
    return rows[0] ?? null;
  }

  /** One page of profiles after `afterId`, in id order: a single query on the primary key index. */
  async page(afterId: number, limit: number): Promise<UserProfile[]> {
    return this.metrics.timeQuery("user.page", () =>
      this.db.select(profileColumns).from(users).where(gt(users.id, afterId)).orderBy(asc(users.id)).limit(limit),
    );
  }

  async create(fields: UserFields): Promise<UserProfile> {
    const rows = await this.metrics.timeQuery("user.create", () => this.db.insert(users).values(fields).returning(profileColumns));
    return rows[0] as UserProfile;
  }

  async update(id: number, patch: Partial<UserFields>): Promise<UserProfile | null> {
    return (await this.updateWithVersion(id, patch))?.profile ?? null;
  }

  async delete(id: number): Promise<boolean> {
    return (await this.deleteWithVersion(id)) !== null;
  }

  /** The updated profile with its new row version (bumped by the database's trigger), or null when there is no such user. */
  async updateWithVersion(id: number, patch: Partial<UserFields>): Promise<VersionedProfile | null> {
    const rows = await this.metrics.timeQuery("user.update", () =>
      this.db
        .update(users)
        .set({ ...patch, updatedAt: new Date().toISOString() })
        .where(eq(users.id, id))
        .returning(),
    );
    const row = rows[0];
    if (!row) return null;
    const { version, ...profile } = row;
    return { profile, version };
  }

  /** The version of the deletion (the row's last version + 1, as the outbox trigger records it), or null when there was no such user. */
  async deleteWithVersion(id: number): Promise<number | null> {
    const rows = await this.metrics.timeQuery("user.delete", () =>
      this.db.delete(users).where(eq(users.id, id)).returning({ version: users.version }),
    );
    return rows[0] ? rows[0].version + 1 : null;
  }
}
