import { LRUCache } from "lru-cache";

/** How many keys' last invalidation is remembered; past that, older loads are all treated as invalidated. */
const REMEMBERED_KEYS = 50_000;

/**
 * What keeps a load that began before an invalidation from filling L1 with
 * the value it replaced: a counter that grows with every invalidation made or
 * heard here, the mark of each key's last one, and a clear epoch per
 * namespace (a clear voids every L1 entry of the namespace at once).
 */
export class InvalidationMarks {
  #counter = 0;
  /** The mark at the last L1 flush: loads begun before it must not fill L1. */
  #flushMark = 0;
  /** The highest mark evicted from `#byKey`: loads begun before it cannot be told apart, so all are voided. */
  #evictedMark = 0;
  readonly #byKey = new LRUCache<string, number>({
    max: REMEMBERED_KEYS,
    dispose: (mark, _key, reason) => {
      if (reason === "evict") this.#evictedMark = Math.max(this.#evictedMark, mark);
    },
  });
  readonly #epochs = new Map<string, { value: number }>();

  /** A number that grows with every invalidation; read it before a load begins. */
  current(): number {
    return this.#counter;
  }

  /** Records an invalidation of `key` made or heard by this process. */
  note(key: string): void {
    this.#counter++;
    this.#byKey.set(key, this.#counter);
  }

  /** Every load begun before now must not fill L1 (L1 was flushed: invalidations may have been missed). */
  noteFlush(): void {
    this.#counter++;
    this.#flushMark = this.#counter;
  }

  /** Whether `key` was invalidated after `mark` was read (so a load begun then must not fill L1). */
  invalidatedSince(key: string, mark: number): boolean {
    if (this.#flushMark > mark || this.#evictedMark > mark) return true;
    const at = this.#byKey.get(key);
    return at !== undefined && at > mark;
  }

  /**
   * Whether `key` itself was invalidated after `mark` was read (or can no longer be told): unlike
   * {@link invalidatedSince}, an L1 flush does not count, as it says nothing of what L2 or the
   * database hold. Decides whether a load begun at `mark` may still be joined.
   */
  keyInvalidatedSince(key: string, mark: number): boolean {
    if (this.#evictedMark > mark) return true;
    const at = this.#byKey.get(key);
    return at !== undefined && at > mark;
  }

  /** The live clear-epoch cell of a namespace (read on every L1 hit without a map lookup). */
  epoch(namespacePrefix: string): { readonly value: number } {
    return this.#epochCell(namespacePrefix);
  }

  /** Starts a new clear epoch for a namespace: its L1 entries from older epochs are misses. */
  bumpEpoch(namespacePrefix: string): void {
    this.#epochCell(namespacePrefix).value++;
  }

  #epochCell(namespacePrefix: string): { value: number } {
    let cell = this.#epochs.get(namespacePrefix);
    if (!cell) {
      cell = { value: 0 };
      this.#epochs.set(namespacePrefix, cell);
    }
    return cell;
  }
}
