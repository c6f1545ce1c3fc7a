import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { type RunningApi, startApi } from "../src/start.js";
import type { ProfileStore } from "../src/users/profile-store.js";
import type { UserFields, UserProfile } from "../src/users/repository.js";
import { ADMIN_TOKEN, client } from "./support/client.js";
import { until } from "./support/poll.js";
import { createTestDatabase, type TestDatabase } from "./support/postgres.js";
import { dropPrefix, REDIS_URL, uniquePrefix } from "./support/redis.js";

// StartOptions.profiles: the seam the benchmarks use to put another caching strategy behind the same procedures.
let database: TestDatabase;
let api: RunningApi;
const prefix = uniquePrefix("profiles");
const calls: string[] = [];
let closed = false;

beforeAll(async () => {
  database = await createTestDatabase();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: database.url,
    REDIS_URL,
    ADMIN_TOKEN,
    CACHE_PREFIX: prefix,
    LOG_LEVEL: "silent",
  });
  api = await startApi(config, {
    profiles: ({ repository, loadRow }) => {
      const store: ProfileStore = {
        byId(id) {
          calls.push(`byId ${id}`);
          return loadRow(id);
        },
        create(fields: UserFields) {
          calls.push("create");
          return repository.create(fields);
        },
        update(id, patch) {
          calls.push(`update ${id}`);
          return repository.update(id, patch);
        },
        delete(id) {
          calls.push(`delete ${id}`);
          return repository.delete(id);
        },
      };
      const close = async () => {
        closed = true;
      };
      return { store, close };
    },
  });
});

afterAll(async () => {
  await api?.close();
  await database?.drop();
  await dropPrefix(prefix);
});

it("sends user.byId, create, update and delete to the replacement, which owns invalidation (no outbox drain)", async () => {
  const admin = client(api.url);
  const created = (await admin.user.create.mutate({ username: "rep", email: "rep@example.com", displayName: "v0" })) as UserProfile;
  expect(await admin.user.byId.query({ id: created.id })).toMatchObject({ displayName: "v0" });
  await admin.user.update.mutate({ id: created.id, patch: { displayName: "v1" } });
  // Every read reaches the replacement (no Hoard cache in front of it): the new row at once.
  expect(await admin.user.byId.query({ id: created.id })).toMatchObject({ displayName: "v1" });
  await admin.user.delete.mutate({ id: created.id });
  expect(calls).toEqual(["create", `byId ${created.id}`, `update ${created.id}`, `byId ${created.id}`, `delete ${created.id}`]);
  expect(api.services.profiles).not.toBe(api.services.users);
  // The trigger still writes outbox rows; with a replacement nothing drains them (a drain deletes Hoard's keys). The drain
  // runs at once when it is started, so a drain time of null says it never started. Two rows: the user's own
  // (update then delete, coalesced) and the `users:list` tag row the insert queued.
  expect(await api.outbox.state()).toMatchObject({ depth: 2, lastDrainAt: null, delivered: 0 });
});

it("closes the replacement with the instance", async () => {
  await api.close();
  await until("the replacement to be closed", () => closed, 5_000);
});
