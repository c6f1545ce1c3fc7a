/** Counters saturate here, as 4-bit counters would. */
const MAX_COUNT = 15;
const ROWS = 4;

/** FNV-1a over the string's UTF-16 units: one multiply per unit, no allocation. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * A count-min sketch of how often keys were asked for lately (TinyLFU's frequency estimate):
 * 4 rows of saturating counters (0..15, a byte each), each key counted in one cell per row, the
 * estimate the smallest of its 4 cells, so it never under-counts. Conservative update (only the
 * smallest cells grow) keeps collisions from inflating it. After `sampleSize` records every counter
 * is halved, so old popularity fades.
 */
export class FrequencySketch {
  readonly #table: Uint8Array;
  readonly #mask: number;
  readonly #width: number;
  readonly #sampleSize: number;
  #samples = 0;

  /** Sized for `capacity` entries: 4 x nextPow2(4 x capacity) bytes; halves every 10 x capacity records unless told. */
  constructor(capacity: number, sampleSize = 10 * Math.max(1, capacity)) {
    let width = 16;
    while (width < 4 * capacity) width *= 2;
    this.#width = width;
    this.#mask = width - 1;
    this.#table = new Uint8Array(width * ROWS);
    this.#sampleSize = sampleSize;
  }

  /** Counts one access of `key`. */
  record(key: string): void {
    this.recordHash(hashKey(key));
  }

  recordHash(hash: number): void {
    const table = this.#table;
    const step = remix(hash);
    const i0 = hash & this.#mask;
    const i1 = this.#width + ((hash + step) & this.#mask);
    const i2 = 2 * this.#width + ((hash + 2 * step) & this.#mask);
    const i3 = 3 * this.#width + ((hash + 3 * step) & this.#mask);
    const c0 = table[i0] as number;
    const c1 = table[i1] as number;
    const c2 = table[i2] as number;
    const c3 = table[i3] as number;
    const min01 = c0 < c1 ? c0 : c1;
    const min23 = c2 < c3 ? c2 : c3;
    const min = min01 < min23 ? min01 : min23;
    if (min < MAX_COUNT) {
      if (c0 === min) table[i0] = min + 1;
      if (c1 === min) table[i1] = min + 1;
      if (c2 === min) table[i2] = min + 1;
      if (c3 === min) table[i3] = min + 1;
    }
    if (++this.#samples >= this.#sampleSize) this.#halve();
  }

  /** The estimated recent count of `key` (never below the true count, capped at 15). */
  frequency(key: string): number {
    return this.frequencyOfHash(hashKey(key));
  }

  frequencyOfHash(hash: number): number {
    const table = this.#table;
    const step = remix(hash);
    return Math.min(
      table[hash & this.#mask] as number,
      table[this.#width + ((hash + step) & this.#mask)] as number,
      table[2 * this.#width + ((hash + 2 * step) & this.#mask)] as number,
      table[3 * this.#width + ((hash + 3 * step) & this.#mask)] as number,
    );
  }

  /** Halves every counter (the "reset" that ages the sample). */
  #halve(): void {
    const table = this.#table;
    for (let i = 0; i < table.length; i++) table[i] = (table[i] as number) >>> 1;
    this.#samples = this.#samples >>> 1;
  }
}

/** A second, odd hash from the first (murmur3's finalizer), to step between rows. */
function remix(hash: number): number {
  let h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 1;
}
