import { describe, expect, it } from "vitest";
import { FrequencySketch } from "../../src/tiers/frequency-sketch.js";
import { type L1Entry, L1Store } from "../../src/tiers/l1-store.js";

function entry(size = 10): L1Entry {
  return { value: 1, negative: false, freshUntil: 1e15, staleUntil: 1e15, loadMs: 0, size, epoch: 0, tags: undefined, keyHash: 0 };
}

describe("FrequencySketch", () => {
  it("never under-counts (randomized, seed printed)", () => {
    const seed = Date.now() % 1_000_000;
    console.log(`frequency-sketch seed ${seed}`);
    let state = seed;
    const random = () => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state / 4_294_967_296;
    };
    const sketch = new FrequencySketch(64, 1e9);
    const truth = new Map<string, number>();
    for (let i = 0; i < 5_000; i++) {
      const key = `k:${Math.floor(random() * 1_000)}`;
      sketch.record(key);
      truth.set(key, (truth.get(key) ?? 0) + 1);
    }
    for (const [key, count] of truth) expect(sketch.frequency(key), `${key} seed ${seed}`).toBeGreaterThanOrEqual(Math.min(count, 15));
  });

  it("halves every counter after sampleSize records", () => {
    const sketch = new FrequencySketch(64, 20);
    for (let i = 0; i < 12; i++) sketch.record("a");
    expect(sketch.frequency("a")).toBe(12);
    for (let i = 0; i < 8; i++) sketch.record("b");
    expect(sketch.frequency("a")).toBe(6);
    expect(sketch.frequency("b")).toBe(4);
  });

  it("saturates at 15", () => {
    const sketch = new FrequencySketch(64, 1e9);
    for (let i = 0; i < 40; i++) sketch.record("hot");
    expect(sketch.frequency("hot")).toBe(15);
  });
});

describe("L1Store admission", () => {
  it("tinylfu refuses a newcomer asked for less than the LRU victim, admits one asked for more", () => {
    const l1 = new L1Store({ maxEntries: 2, maxBytes: 1e9, admission: "tinylfu" });
    for (const key of ["a", "a", "a", "b", "b", "b"]) l1.get(key, 0);
    l1.set("a", entry());
    l1.set("b", entry());
    l1.get("c", 0);
    l1.set("c", entry());
    expect(l1.peek("c")).toBeUndefined();
    expect(l1.entryCount).toBe(2);
    for (let i = 0; i < 4; i++) l1.get("c", 0);
    l1.set("c", entry());
    expect(l1.peek("c")).toBeDefined();
    expect(l1.peek("a")).toBeUndefined(); // a was the least recently used
  });

  it("tinylfu always replaces a key already held and fills free room", () => {
    const l1 = new L1Store({ maxEntries: 2, maxBytes: 1e9, admission: "tinylfu" });
    l1.set("x", entry());
    const next = entry(20);
    l1.set("x", next);
    expect(l1.peek("x")).toBe(next);
  });

  it("tinylfu applies when the byte bound, not the count, is full", () => {
    const l1 = new L1Store({ maxEntries: 100, maxBytes: 2 * (15 + 2 + 192), admission: "tinylfu" });
    for (const key of ["a", "a", "b", "b"]) l1.get(key, 0);
    l1.set("a", entry());
    l1.set("b", entry());
    l1.get("c", 0);
    l1.set("c", entry());
    expect(l1.peek("c")).toBeUndefined();
    expect(l1.byteSize).toBeLessThanOrEqual(2 * (15 + 2 + 192));
  });

  it("lru admits every newcomer", () => {
    const l1 = new L1Store({ maxEntries: 2, maxBytes: 1e9, admission: "lru" });
    for (const key of ["a", "a", "b", "b"]) l1.get(key, 0);
    l1.set("a", entry());
    l1.set("b", entry());
    l1.set("c", entry());
    expect(l1.peek("c")).toBeDefined();
  });
});
