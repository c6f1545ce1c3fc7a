import { LRUCache } from "lru-cache";
import type { EntryMeta } from "../encoding/envelope.js";
import { L1TagIndex } from "./l1-tag-index.js";

/**
 * Estimated heap bytes of one L1 entry: the decoded value (measured at about
 * 1.5x its encoded size for JSON-like data), the key string, and the entry
 * and LRU bookkeeping. `maxBytes` bounds the sum of these estimates, so the
 * bound holds for the real heap (see BENCHMARKS.md, row 9).
 */
export function estimateMemory(encodedBytes: number, keyLength: number): number {
  return Math.ceil(encodedBytes * 1.5) + keyLength * 2 + 192;
}

/** One decoded entry held in process memory. */
export interface L1Entry extends EntryMeta {
  /** The decoded value (null for a negative entry). */
  value: unknown;
  /** Encoded size in bytes (the memory estimate counted against `l1.maxBytes` derives from it). */
  size: number;
  /** The namespace's clear epoch when the entry's load began; older epochs are misses. */
  epoch: number;
  /** The entry's tags (indexed, so invalidating one drops the entry); undefined when untagged. */
  tags: readonly string[] | undefined;
}

/**
 * The in-process tier: an LRU bounded by entry count and by encoded bytes.
 * Expiry is checked against the cache's clock on read (no timers), so an entry
 * never outlives the `staleUntil` that L2 holds for it.
 */
export class L1Store {
  private readonly lru: LRUCache<string, L1Entry>;
  /** Which keys carry which tag (maintained on insert and removal only: a hit never looks at it). */
  readonly tagIndex = new L1TagIndex();

  constructor(options: { maxEntries: number; maxBytes: number }) {
    this.lru = new LRUCache<string, L1Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry, key) => estimateMemory(entry.size, key.length),
      dispose: (entry, key) => {
        if (entry.tags) this.tagIndex.remove(key, entry.tags);
      },
    });
  }

  /** Drops every entry carrying one of `tags`. */
  deleteTagged(tags: readonly string[]): void {
    for (const tag of tags) for (const key of this.tagIndex.keysOf(tag)) this.lru.delete(key);
  }

  /** The entry if present and not past `staleUntil`; expired entries are dropped. */
  get(key: string, now: number): L1Entry | undefined {
    const entry = this.lru.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.staleUntil) {
      this.lru.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Looks without touching recency (for browsing). */
  peek(key: string): L1Entry | undefined {
    return this.lru.peek(key);
  }

  set(key: string, entry: L1Entry): void {
    this.lru.set(key, entry);
    // After the set: replacing an entry disposes the old one (and its index entries) first.
    if (entry.tags && this.lru.peek(key) === entry) this.tagIndex.add(key, entry.tags);
  }

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  /** Drops every entry (after a lost invalidation connection, for example). */
  clear(): void {
    this.lru.clear();
    this.tagIndex.clear();
  }

  get entryCount(): number {
    return this.lru.size;
  }

  get byteSize(): number {
    return this.lru.calculatedSize;
  }

  /** Every key/entry pair, most recently used first, without touching recency. */
  *entries(): IterableIterator<[string, L1Entry]> {
    for (const key of this.lru.keys()) {
      const entry = this.lru.peek(key);
      if (entry) yield [key, entry];
    }
  }
}
