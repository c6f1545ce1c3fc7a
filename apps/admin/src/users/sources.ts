import type { LookupResult } from "../trpc.js";

/** What each source of a lookup means, in a few words. */
export const SOURCE_LABELS: Record<LookupResult["source"], { name: string; meaning: string }> = {
  l1: { name: "L1", meaning: "this API process's memory" },
  l2: { name: "L2", meaning: "Redis, shared by every instance" },
  database: { name: "Database", meaning: "Postgres; the answer is now stored in L2 and L1" },
  coalesced: { name: "Coalesced", meaning: "joined a database load already running in this process" },
  "lock-wait": { name: "Lock wait", meaning: "another instance held the load lock; its value was read from Redis" },
  stale: { name: "Stale", meaning: "a stale copy served within its grace period while the database was slow or failing" },
};
