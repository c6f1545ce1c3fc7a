import { faker } from "@faker-js/faker";
import type { Database } from "./client.js";
import { type NewUserRow, users } from "./schema.js";

export interface SeedOptions {
  count: number;
  /** The faker seed: the same seed and count always make the same users. @default 42 */
  seed?: number;
  /** Rows per INSERT. @default 1000 */
  batchSize?: number;
  /** Called after each batch with the rows done so far. */
  onProgress?: (done: number) => void;
}

/** The `index`-th fake user of a seed: usernames and emails carry the index, so they never collide. */
function fakeUser(index: number): Omit<NewUserRow, "id"> {
  const first = faker.person.firstName();
  const last = faker.person.lastName();
  return {
    username: `${faker.internet
      .username({ firstName: first, lastName: last })
      .replace(/[^A-Za-z0-9_.-]/g, "")
      .slice(0, 40)}_${index}`,
    email: `${first}.${last}.${index}@example.com`.toLowerCase().replace(/[^a-z0-9.@_-]/g, ""),
    displayName: `${first} ${last}`,
    bio: faker.person.bio(),
  };
}

/**
 * Inserts `count` deterministic fake users in batches. Safe to re-run: rows
 * whose username or email exists are skipped (ON CONFLICT DO NOTHING), so a
 * second run with the same seed adds nothing. Returns the rows inserted.
 */
export async function seedUsers(db: Database, options: SeedOptions): Promise<number> {
  const batchSize = options.batchSize ?? 1_000;
  faker.seed(options.seed ?? 42);
  let inserted = 0;
  for (let start = 0; start < options.count; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, options.count - start) }, (_, i) => fakeUser(start + i + 1));
    const rows = await db.insert(users).values(batch).onConflictDoNothing().returning({ id: users.id });
    inserted += rows.length;
    options.onProgress?.(start + batch.length);
  }
  return inserted;
}
