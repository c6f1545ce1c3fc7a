/**
 * What other workspace packages use of the API in process (the benchmarks): start an
 * instance with a replacement read/write path, the round-robin entry point, and the
 * consistency checker's history. The API itself runs from server.ts.
 */
export { startRoundRobinProxy } from "./cluster/round-robin-proxy.js";
export { type Config, loadConfig } from "./config.js";
export {
  BUS_DELAY_BUDGET_MS,
  History,
  quantile,
  type ReadRecord,
  type StaleRead,
  versionOf,
  type WriteRecord,
} from "./consistency/history.js";
export { migrateDatabase } from "./db/migrate.js";
export { type RunningApi, type StartOptions, startApi } from "./start.js";
export type { CustomProfileStore, ProfileStore, ProfileStoreFactory, ProfileStoreParts } from "./users/profile-store.js";
export type { UserFields, UserProfile, UsersRepository } from "./users/repository.js";
