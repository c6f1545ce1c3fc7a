import type { LockKeys } from "../coordination/lock-wait.js";
import type { DecodedEntry } from "../encoding/entry-codec.js";
import type { CacheId } from "../encoding/keys.js";
import type { LoaderContext } from "./loader-runner.js";

/** A loader for one id; return null/undefined for "does not exist" (cached as a negative entry). */
export type Loader<T, Id extends CacheId = CacheId> = (
  context: LoaderContext<Id, T>,
) => T | null | undefined | Promise<T | null | undefined>;

/**
 * A loader for many ids at once, each id once (duplicates in a `getOrSetMany` call are asked once):
 * a Map keyed by the ids (a number id may also be answered under `String(id)`), or an array aligned
 * with `ids`. Missing ids count as absent.
 */
export type BatchLoader<T, Id extends CacheId = CacheId> = (
  ids: Id[],
) => Promise<Map<Id, T | null | undefined> | (T | null | undefined)[]> | Map<Id, T | null | undefined> | (T | null | undefined)[];

/** Where a `getOrSet` answer came from. */
export type ResultSource = "l1" | "l2" | "lock-wait" | "loader" | "coalesced" | "stale";

/** A value and its source, as single flights share them. */
export interface Resolved<T> {
  value: T | null;
  source: ResultSource;
  /** For a `coalesced` answer: where the load it joined got the value (read by tracing only). */
  shared?: ResultSource;
}

/**
 * What a flight hands the callers sharing it: the value, its source, and the tags of the entry it came
 * from or was stored as, so a caller that joined late can tell that one of them was invalidated since.
 */
export interface FlightResult<T> extends Resolved<T> {
  tags?: readonly string[] | undefined;
}

/** What `store` made of a loaded value: the value callers get, and the tags it was stored with. */
export interface Stored<T> {
  value: T | null;
  tags: readonly string[] | undefined;
}

/** What `getOrSetDetailed` returns. */
export interface DetailedResult<T> extends Resolved<T> {
  /** The value is a cached or loaded "absent" marker. */
  negative: boolean;
  /** Duration of the call in ms. */
  ms: number;
}

/** An entry where a stale copy was found while looking for a fresh one. */
export type StaleCandidate<T> = Pick<DecodedEntry<T>, "value" | "staleUntil" | "tags">;

/** What a load needs to store its result safely: its lease token, whether it holds the lock, and the marks read before it began. */
export interface Fence {
  token: string;
  leased: boolean;
  locked: boolean;
  mark: number;
  epoch: number;
  lockKeys: LockKeys;
  /** The tag sequence this process knew when the load began (recorded in a tagged entry). */
  tagSeq: number;
  /** Tags the call gave (`tags` option); the loader may add more with `ctx.setTags`. */
  tags: readonly string[] | undefined;
}
