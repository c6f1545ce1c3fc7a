import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex, varchar } from "drizzle-orm/pg-core";

/** User profiles: the rows the API caches. */
export const users = pgTable("users", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  username: varchar("username", { length: 64 }).notNull().unique(),
  email: varchar("email", { length: 254 }).notNull().unique(),
  displayName: varchar("display_name", { length: 128 }).notNull(),
  bio: text("bio").notNull().default(""),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
  /**
   * Row version: 1 at insert, +1 on every UPDATE by a trigger (drizzle/0005_users_version.sql), so it
   * grows in commit order whoever writes (unlike `updated_at`, taken from a client's clock). The cache
   * orders write-through sets by it; it is not part of the cached profile.
   */
  version: bigint("version", { mode: "number" }).notNull().default(1),
});

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

/**
 * Transactional outbox of cache invalidations: the `users` trigger writes a row in
 * the same transaction as the change (drizzle/0003_outbox_trigger.sql), the
 * instances drain it into `namespace.delete` (src/db/outbox.ts). One row per
 * (namespace, cache id): later changes of the same row coalesce into it.
 */
export const cacheInvalidationOutbox = pgTable(
  "cache_invalidation_outbox",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    namespace: varchar("namespace", { length: 64 }).notNull(),
    cacheId: text("cache_id").notNull(),
    /** Changes coalesced into this row since it was written. */
    changes: integer("changes").notNull().default(1),
    /** The oldest undelivered change (the outbox's age is now minus the smallest). */
    firstChangedAt: timestamp("first_changed_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
    lastChangedAt: timestamp("last_changed_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
    /** The newest row version changed (a delete counts as its last version + 1); null for rows that carry none (tags). */
    version: bigint("version", { mode: "number" }),
  },
  (table) => [
    uniqueIndex("cache_invalidation_outbox_key").on(table.namespace, table.cacheId),
    index("cache_invalidation_outbox_first_changed_at").on(table.firstChangedAt),
  ],
);
