import { type Cache, createCache } from "@hoard/cache";
import { OwnRedisServer } from "@hoard/test-servers";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbLatency } from "../src/lab/db-latency.js";
import type { UsersRepository } from "../src/users/repository.js";
import { UserService } from "../src/users/user-service.js";
import { uniquePrefix } from "./support/redis.js";

// What a user row's change invalidates, with Redis unreachable: the writer must still read its own write,
// on the profile and on every list page (found by the nemesis: a list page stayed in this instance's L1
// because the list tag was invalidated only after Redis acknowledged the profile's delete).
let redis: OwnRedisServer;
let cache: Cache;
let users: UserService;

beforeAll(async () => {
  // A redis-server of this suite's own: the test stops it.
  redis = await OwnRedisServer.start();
  cache = createCache({ prefix: uniquePrefix("user-invalidation"), redis: redis.url });
  await cache.ready();
  // Only the cache is used by invalidate(); the rest of the service is not reached.
  users = new UserService(cache, {} as UsersRepository, {} as DbLatency, { settle: async () => true });
});

afterAll(async () => {
  redis?.resume();
  await cache?.close();
  await redis?.dispose();
});

it("invalidate() drops the profile and every list page from this instance's L1 even when Redis is unreachable", async () => {
  const profile = { id: 7, username: "seven", email: "s@e.com", displayName: "v1", bio: "", createdAt: "", updatedAt: "" };
  await users.namespace.getOrSet(7, async () => profile as never);
  await users.pages.getOrSet("0:100", async () => ({ items: [profile as never], nextCursor: null }), { tags: ["users:list"] });
  // SIGSTOP: the connections stay open (the bus does not notice yet) and every command times out.
  redis.pause();
  // Both are still in this instance's L1.
  expect(await users.namespace.get(7)).toBeDefined();
  expect(await users.pages.get("0:100")).toBeDefined();

  // Not acknowledged (Redis does not answer): the outbox keeps the row and delivers it later.
  expect(await users.invalidate(7)).toBe(false);
  expect(await users.namespace.get(7)).toBeUndefined();
  expect(await users.pages.get("0:100")).toBeUndefined();
});
