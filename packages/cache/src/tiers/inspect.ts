import type { EntryCodec } from "../encoding/entry-codec.js";
import type { EntryMeta } from "../encoding/envelope.js";
import type { KeySpace } from "../encoding/keys.js";
import type { CacheContext } from "../read/cache-context.js";
import { UNAVAILABLE } from "./l2-store.js";

/** One entry as shown by `namespace.inspect()`. */
export interface InspectedEntry {
  key: string;
  /** The decoded id. */
  id: string;
  version: number;
  /** Time left until the entry turns stale, in ms (negative once stale). */
  freshForMs: number;
  /** Time left until it is gone, in ms. */
  expiresInMs: number;
  /** Stored size in bytes. */
  size: number;
  /** An "absent" marker. */
  negative: boolean;
  /** Its tags (empty when untagged). */
  tags: readonly string[];
}

/** A page of entries and the cursor of the next page ("0" when done). */
export interface InspectPage {
  entries: InspectedEntry[];
  cursor: string;
}

/** One entry as browsed, from its key and header times (the same shape for both tiers). */
function inspected(
  key: string,
  id: string,
  keys: KeySpace,
  meta: EntryMeta & { tags: readonly string[] | undefined },
  size: number,
  now: number,
): InspectedEntry {
  return {
    key,
    id,
    version: keys.version,
    freshForMs: meta.freshUntil - now,
    expiresInMs: meta.staleUntil - now,
    size,
    negative: meta.negative,
    tags: meta.tags ?? [],
  };
}

/** SCAN steps one L2 page may take at most. */
const MAX_SCAN_STEPS = 64;

/** Lists this process's L1 entries of one namespace version (no recency change). */
export function inspectL1(context: CacheContext, keys: KeySpace, limit: number, offset: number): InspectPage {
  const now = context.clock.now();
  const epoch = context.marks.epoch(keys.namespacePrefix).value;
  const found: InspectedEntry[] = [];
  let skipped = 0;
  for (const [key, entry] of context.l1?.entries() ?? []) {
    const id = keys.idOf(key);
    if (id === undefined || entry.epoch !== epoch || now >= entry.staleUntil) continue;
    if (skipped++ < offset) continue;
    found.push(inspected(key, id, keys, entry, entry.size, now));
    if (found.length >= limit) return { entries: found, cursor: String(offset + found.length) };
  }
  return { entries: found, cursor: "0" };
}

/**
 * Lists L2 entries of one namespace version with SCAN, a page at a time
 * (SCAN never blocks Redis); on a cluster it walks every master.
 */
export async function inspectL2(
  context: CacheContext,
  keys: KeySpace,
  codec: EntryCodec<unknown>,
  limit: number,
  cursor: string,
): Promise<InspectPage> {
  const l2 = context.l2;
  if (!l2) return { entries: [], cursor: "0" };
  // One SCAN step may match few or none of a namespace's keys: step on until the page is full or the
  // scan is done (bounded, so browsing never holds Redis). A step's keys are all kept, never cut at
  // `limit`, since the cursor has moved past them.
  const valueKeys: string[] = [];
  let next = cursor;
  for (let step = 0; step < MAX_SCAN_STEPS; step++) {
    const page = await l2.scanPage(`${keys.versionPrefix}{*}`, next, Math.max(limit, 100));
    if (page === UNAVAILABLE) return { entries: [], cursor: "0" };
    for (const key of page.keys) if (key.endsWith("}")) valueKeys.push(key);
    next = page.cursor;
    if (next === "0" || valueKeys.length >= limit) break;
  }
  const raw = await l2.mget(valueKeys);
  if (raw === UNAVAILABLE) return { entries: [], cursor: "0" };
  const now = context.clock.now();
  const entries: InspectedEntry[] = [];
  valueKeys.forEach((key, i) => {
    const bytes = raw[i];
    const id = keys.idOf(key);
    if (!bytes || id === undefined) return;
    try {
      entries.push(inspected(key, id, keys, codec.meta(bytes), bytes.length, now));
    } catch {
      // Undecodable entries are skipped here; a read deletes them.
    }
  });
  return { entries, cursor: next };
}
