import { LRUCache } from "lru-cache";

/** The sequence numbers of a tag's last invalidation and last expiry (0: never). */
export interface TagState {
  inv: number;
  exp: number;
}

/** What a tagged entry is worth now: servable, stale (expired on demand), or dead (invalidated). */
export type TagVerdict = "fresh" | "expired" | "invalid" | "unverified";

/** Tags whose state is remembered; past it the least recently used are fetched again when needed. */
const REMEMBERED_TAGS = 10_000;

/** Reads tag states (and the cache-wide sequence) from Redis; undefined when Redis cannot be reached. */
export type TagFetcher = (tags: readonly string[]) => Promise<{ states: TagState[]; sequence: number } | undefined>;

/**
 * What this process knows of tag invalidations, so that checking a tagged
 * entry usually costs no round trip.
 *
 * Every `invalidateTags` / `expireTags` takes the next number of one
 * cache-wide sequence in Redis and records it on each tag; an entry records
 * the sequence this process knew when its load began (`startSeq`). An entry
 * is dead when one of its tags was invalidated at a higher number, stale when
 * one was expired at a higher number. The start number is a lower bound of
 * the real one (only numbers heard or read are known), so an error can only
 * make an entry look older than it is: a wasted load, never a stale serve.
 *
 * Tag states read from Redis are kept while the bus is connected (the bus
 * then tells every change, with its number) and forgotten whenever the bus
 * may have missed something (the same flushes that clear L1).
 */
export class TagRegistry {
  /** `complete`: read from Redis (then kept current by the bus); else only what the bus told, not enough alone. */
  readonly #known = new LRUCache<string, TagState & { complete: boolean }>({
    max: REMEMBERED_TAGS,
    dispose: (state, _tag, reason) => {
      if (reason === "evict") this.#evictedInv = Math.max(this.#evictedInv, state.inv);
    },
  });
  /** The highest invalidation number evicted from `#known`: flights begun before it cannot be told apart. */
  #evictedInv = 0;
  /** Grows with every invalidation made or heard here (and every `forget()`): a flight compares it with its start. */
  #invalidations = 0;
  /** `#invalidations` at the last `forget()`: what was heard before it is gone. */
  #forgottenAt = 0;
  /** Tags invalidated here while Redis could not be reached: dead locally until the invalidation is replayed. */
  readonly #poisoned = new Set<string>();
  #sequence = 0;
  /** Bumped by `forget()`: a read begun before must not be remembered. */
  #epoch = 0;

  constructor(
    private readonly fetch: TagFetcher | undefined,
    /** Whether changes are heard now (bus connected); without Redis, local knowledge is all there is. */
    private readonly hearing: () => boolean,
  ) {}

  /** The sequence a load beginning now records (a lower bound of Redis's). */
  startSeq(): number {
    return this.#sequence;
  }

  /** A number that grows with every tag invalidation made or heard here; read it when a flight begins. */
  get invalidations(): number {
    return this.#invalidations;
  }

  /**
   * Whether one of `tags` was invalidated, as far as this process knows, after a flight that began
   * when the sequence was `startSeq` and the invalidation count `invalidationsAtStart` (or may have
   * been: what could tell was forgotten or evicted since). Decides whether that flight may be joined.
   */
  invalidatedSince(tags: readonly string[], startSeq: number, invalidationsAtStart: number): boolean {
    if (this.#invalidations === invalidationsAtStart || tags.length === 0) return false;
    if (this.#forgottenAt > invalidationsAtStart || this.#evictedInv > startSeq) return true;
    for (const tag of tags) {
      if (this.#poisoned.has(tag) || (this.#known.peek(tag)?.inv ?? 0) > startSeq) return true;
    }
    return false;
  }

  /** Reads the cache-wide sequence (when Redis connects), so loads here record a current number. */
  readSequence(): void {
    this.resolve([]).catch(() => {});
  }

  /** The verdict from what is known here, or undefined when a tag must be read from Redis first. */
  verdictKnown(tags: readonly string[], startSeq: number): TagVerdict | undefined {
    let verdict: TagVerdict = "fresh";
    for (const tag of tags) {
      if (this.#poisoned.has(tag)) return "invalid";
      const held = this.#known.get(tag);
      const state = this.fetch ? (this.hearing() && held?.complete ? held : undefined) : (held ?? { inv: 0, exp: 0 });
      if (!state) return undefined;
      if (state.inv > startSeq) return "invalid";
      if (state.exp > startSeq) verdict = "expired";
    }
    return verdict;
  }

  /** The verdict, reading unknown tags from Redis (one round trip) when needed. */
  async verdict(tags: readonly string[], startSeq: number): Promise<TagVerdict> {
    const known = this.verdictKnown(tags, startSeq);
    if (known !== undefined) return known;
    const states = await this.resolve(tags);
    if (!states) return "unverified";
    let verdict: TagVerdict = "fresh";
    for (let i = 0; i < tags.length; i++) {
      const state = states[i] as TagState;
      if (this.#poisoned.has(tags[i] as string) || state.inv > startSeq) return "invalid";
      if (state.exp > startSeq) verdict = "expired";
    }
    return verdict;
  }

  /** Reads tags from Redis, remembers them if nothing may have been missed meanwhile, and learns the sequence. */
  async resolve(tags: readonly string[]): Promise<TagState[] | undefined> {
    if (!this.fetch) return tags.map((tag) => this.#known.get(tag) ?? { inv: 0, exp: 0 });
    const epoch = this.#epoch;
    const hearing = this.hearing();
    const read = await this.fetch(tags);
    if (!read) return undefined;
    this.#sequence = Math.max(this.#sequence, read.sequence);
    const keep = hearing && this.hearing() && epoch === this.#epoch;
    return tags.map((tag, i) => {
      const state = read.states[i] as TagState;
      const held = this.#known.get(tag);
      const merged = held
        ? { inv: Math.max(held.inv, state.inv), exp: Math.max(held.exp, state.exp), complete: true }
        : { ...state, complete: true };
      if (keep) this.#known.set(tag, merged);
      this.#sequence = Math.max(this.#sequence, merged.inv, merged.exp);
      return merged;
    });
  }

  /** An invalidation (`inv`) or expiry (`exp`) of `tags` at `seq`, made here or heard on the bus. */
  heard(kind: "inv" | "exp", tags: readonly string[], seq: number): void {
    this.#sequence = Math.max(this.#sequence, seq);
    if (kind === "inv") this.#invalidations++;
    for (const tag of tags) {
      const held = this.#known.get(tag) ?? { inv: 0, exp: 0, complete: !this.fetch };
      this.#known.set(
        tag,
        kind === "inv"
          ? { inv: Math.max(held.inv, seq), exp: held.exp, complete: held.complete }
          : { inv: held.inv, exp: Math.max(held.exp, seq), complete: held.complete },
      );
    }
  }

  /** Takes the next number without Redis (a cache with no L2: tags are this process's alone). */
  nextLocalSeq(): number {
    return ++this.#sequence;
  }

  /** Tags invalidated here that Redis has not recorded yet: dead here until `cure`. */
  poison(tags: readonly string[]): void {
    this.#invalidations++;
    for (const tag of tags) this.#poisoned.add(tag);
  }

  cure(tags: readonly string[]): void {
    for (const tag of tags) this.#poisoned.delete(tag);
  }

  /** The bus may have missed changes: what is remembered must be read again. */
  forget(): void {
    this.#epoch++;
    this.#forgottenAt = ++this.#invalidations;
    if (this.fetch) this.#known.clear();
  }
}
