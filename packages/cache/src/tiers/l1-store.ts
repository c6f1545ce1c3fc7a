import { LRUCache } from "lru-cache";
import type { EntryMeta } from "../encoding/envelope.js";
import { FrequencySketch, hashKey } from "./frequency-sketch.js";
import { L1TagIndex } from "./l1-tag-index.js";

/** How L1 decides whether a new key may take a full L1's least recently used slot. */
export type L1Admission = "lru" | "tinylfu";

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
  /** The key's sketch hash, kept so a hit does not hash the key again (TinyLFU admission only; else 0). */
  keyHash: number;
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
  /** Recent lookup frequencies (TinyLFU admission only). */
  readonly #sketch: FrequencySketch | undefined;
  readonly #maxEntries: number;
  readonly #maxBytes: number;

  constructor(options: { maxEntries: number; maxBytes: number; admission?: L1Admission }) {
    this.#maxEntries = options.maxEntries;
    this.#maxBytes = options.maxBytes;
    this.#sketch = options.admission === "tinylfu" ? new FrequencySketch(options.maxEntries) : undefined;
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
    const sketch = this.#sketch;
    if (sketch === undefined) return this.getUncounted(key, now);
    const entry = this.getUncounted(key, now);
    sketch.recordHash(entry !== undefined ? entry.keyHash : hashKey(key));
    return entry;
  }

  /** `get` without counting a lookup for admission (a second look within the same read). */
  getUncounted(key: string, now: number): L1Entry | undefined {
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

  /** Stores `entry`, unless TinyLFU admission finds the key less asked for than the entry it would evict. */
  set(key: string, entry: L1Entry): void {
    if (this.#sketch !== undefined) {
      entry.keyHash = hashKey(key);
      if (!this.#admits(key, entry)) return;
    }
    this.lru.set(key, entry);
    // After the set: replacing an entry disposes the old one (and its index entries) first.
    if (entry.tags && this.lru.peek(key) === entry) this.tagIndex.add(key, entry.tags);
  }

  /**
   * A key already held, or room to spare, is always admitted; else the newcomer must have been looked
   * up more often lately than the least recently used entry (the first one the insert would evict).
   */
  #admits(key: string, entry: L1Entry): boolean {
    const lru = this.lru;
    if (lru.has(key)) return true;
    const full = lru.size >= this.#maxEntries || lru.calculatedSize + estimateMemory(entry.size, key.length) > this.#maxBytes;
    if (!full) return true;
    for (const victim of lru.rvalues()) {
      if (victim === undefined) return true;
      const sketch = this.#sketch as FrequencySketch;
      return sketch.frequencyOfHash(entry.keyHash) > sketch.frequencyOfHash(victim.keyHash);
    }
    return true;
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
