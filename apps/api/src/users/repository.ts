import { asc, eq, gt, inArray } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { type UserRow, users } from "../db/schema.js";
import type { ApiMetrics } from "../http/metrics.js";

/** A profile as the API returns and caches it (timestamps as ISO strings, identical from every tier). */
export type UserProfile = UserRow;

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
    const rows = await this.metrics.timeQuery("user.findById", () => this.db.select().from(users).where(eq(users.id, id)).limit(1));
    return rows[0] ?? null;
  }

  async findByIds(ids: number[]): Promise<Map<number, UserProfile>> {
    if (ids.length === 0) return new Map();
    const rows = await this.metrics.timeQuery("user.findByIds", () => this.db.select().from(users).where(inArray(users.id, ids)));
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** The ids of one page (cheap, from the primary key index); the profiles come through the cache. */
  async pageIds(afterId: number, limit: number): Promise<number[]> {
    const rows = await this.metrics.timeQuery("user.pageIds", () =>
      this.db.select({ id: users.id }).from(users).where(gt(users.id, afterId)).orderBy(asc(users.id)).limit(limit),
    );
    return rows.map((row) => row.id);
  }

  async create(fields: UserFields): Promise<UserProfile> {
    const rows = await this.metrics.timeQuery("user.create", () => this.db.insert(users).values(fields).returning());
    return rows[0] as UserProfile;
  }

  async update(id: number, patch: Partial<UserFields>): Promise<UserProfile | null> {
    const rows = await this.metrics.timeQuery("user.update", () =>
      this.db
        .update(users)
        .set({ ...patch, updatedAt: new Date().toISOString() })
        .where(eq(users.id, id))
        .returning(),
    );
    return rows[0] ?? null;
  }

  async delete(id: number): Promise<boolean> {
    const rows = await this.metrics.timeQuery("user.delete", () =>
      this.db.delete(users).where(eq(users.id, id)).returning({ id: users.id }),
    );
    return rows.length > 0;
  }
}
