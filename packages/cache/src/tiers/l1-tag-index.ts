/**
 * Which L1 keys carry which tag, so a tag invalidation drops exactly those
 * entries at once and an L1 hit of a tagged entry checks nothing. Kept in step
 * with L1: entries are added when a tagged entry enters L1 and removed when it
 * leaves (evicted, replaced, deleted).
 */
export class L1TagIndex {
  readonly #keys = new Map<string, Set<string>>();

  add(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      let keys = this.#keys.get(tag);
      if (!keys) {
        keys = new Set();
        this.#keys.set(tag, keys);
      }
      keys.add(key);
    }
  }

  remove(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#keys.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.#keys.delete(tag);
    }
  }

  /** The L1 keys carrying `tag` (a copy: deleting them changes the index). */
  keysOf(tag: string): string[] {
    return [...(this.#keys.get(tag) ?? [])];
  }

  clear(): void {
    this.#keys.clear();
  }
}
