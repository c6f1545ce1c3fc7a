import { type Cache, createCache } from "@hoard/cache";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbLatency } from "../src/lab/db-latency.js";
import type { UserProfile, UsersRepository } from "../src/users/repository.js";
import { UserService } from "../src/users/user-service.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "./support/redis.js";

// A cached list page is shared by every instance for its whole TTL, so it must be built from data
// as fresh as the tag fence says: the nemesis found instance 1 serving a page with v0 of a user
// seconds after it acknowledged v7. The page had been built on another instance from profiles in
// that instance's L1, stale within what that instance may serve itself (its bus was down: L1
// entries live a few seconds), after it had read the tag's latest invalidation: so the page
// carried a current tag sequence and every instance took it as fresh.
const prefix = uniquePrefix("list-page-freshness");
let writer: Cache;
let other: Cache;

/** Users as Postgres holds them (a map the test changes), behind the repository methods a page read uses. */
const rows = new Map<number, UserProfile>();
const profile = (id: number, displayName: string): UserProfile => ({
  id,
  username: `user${id}`,
  email: `user${id}@example.com`,
  displayName,
  bio: "",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});
const sorted = (afterId: number, limit: number) =>
  [...rows.values()]
    .filter((row) => row.id > afterId)
    .sort((a, b) => a.id - b.id)
    .slice(0, limit);
const repository = {
  findById: async (id: number) => rows.get(id) ?? null,
  page: async (afterId: number, limit: number) => sorted(afterId, limit),
  // What the page read used before it read its rows in one query: ids, then profiles through the cache.
  pageIds: async (afterId: number, limit: number) => sorted(afterId, limit).map((row) => row.id),
  findByIds: async (ids: number[]) => new Map(ids.flatMap((id) => (rows.has(id) ? [[id, rows.get(id) as UserProfile]] : []))),
} as unknown as UsersRepository;
const noLatency = { delay: async () => {} } as unknown as DbLatency;
const settled = { settle: async () => true };

beforeAll(async () => {
  writer = createCache({ prefix, redis: REDIS_URL });
  // No bus: this instance is never told of other instances' changes, so its L1 may hold an old
  // profile for the namespace's TTL (what an instance whose bus is down may do for 5 s).
  other = createCache({ prefix, redis: REDIS_URL, bus: false });
  await Promise.all([writer.ready(), other.ready()]);
});

afterAll(async () => {
  await writer?.close();
  await other?.close();
  await dropPrefix(prefix);
});

it("a list page read after an acknowledged write shows that write, whichever instance built the page", async () => {
  for (const id of [61, 62, 63]) rows.set(id, profile(id, "v0"));
  const onWriter = new UserService(writer, repository, noLatency, settled);
  const onOther = new UserService(other, repository, noLatency, settled);
  // The other instance holds v0 of user 63 in its L1.
  expect((await onOther.byId(63))?.displayName).toBe("v0");
  // The writer caches the first page (L2, tagged users:list).
  expect((await onWriter.list(0, 10)).items.map((user) => user.displayName)).toEqual(["v0", "v0", "v0"]);

  // The write: committed, then invalidated (profile and tag), acknowledged.
  rows.set(63, profile(63, "v7"));
  expect(await onWriter.invalidate(63)).toBe(true);

  // The other instance reads the page: the cached one is dead (it reads the tag's state), so it builds it again.
  const seenByOther = await onOther.list(0, 10);
  expect(seenByOther.items.find((user) => user.id === 63)?.displayName).toBe("v7");
  // The writer reads its own write on the page, from whichever tier it comes.
  const seenByWriter = await onWriter.list(0, 10);
  expect(seenByWriter.items.find((user) => user.id === 63)?.displayName).toBe("v7");
});
