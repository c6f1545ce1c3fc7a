import { InvalidOptionError } from "../errors.js";

/**
 * What a namespace does with a change its source committed (see `namespace.afterWrite`).
 * - `invalidate`: delete the entry; the next read anywhere loads it from the source. Cost: one
 *   miss (one load, under the usual stampede protection) per write; nothing to order.
 * - `write-through`: store the new value with its version (`set(id, value, { version })`), so the
 *   next read anywhere is a hit. Cost: the encode and the write of the value on every write, read
 *   or not, and a small fence key per written id; the caller must supply a version that grows with
 *   every change of the row (a row version column, not a client clock).
 */
export type WritePolicy = "invalidate" | "write-through";

/** What `set(id, value, { version })` did. */
export type VersionedSetResult =
  /** The value is stored in L2 (and in this process's L1); every other L1 dropped its copy. */
  | { outcome: "stored"; version: number }
  /** Not newer than `currentVersion`, the version stored or deleted before it: nothing changed. */
  | { outcome: "refused"; version: number; currentVersion: number }
  /** Redis could not be reached: L2 keeps what it had until the key's delete is replayed. */
  | { outcome: "unavailable"; version: number };

/** What `afterWrite` did. */
export type AfterWriteResult =
  /** Write-through: the new value is stored. */
  | { outcome: "stored" }
  /** The entry was deleted instead: by policy, or because the set was refused as not newer, or could not land. */
  | { outcome: "invalidated"; reason: "policy" | "refused" | "unavailable" }
  /** Neither the set nor the delete reached Redis: the delete is kept and replayed when Redis answers. */
  | { outcome: "unavailable" };

/** Throws `InvalidOptionError` unless `version` is a safe integer of 0 or more. */
export function checkVersion(version: unknown, where: string): number {
  if (typeof version === "number" && Number.isSafeInteger(version) && version >= 0) return version;
  throw new InvalidOptionError(
    `Invalid option "version" in ${where}: ${String(version)}; use an integer of 0 or more that grows with every change (e.g. a row version column).`,
  );
}
