/**
 * Freezes a decoded value and everything it holds, once, so every caller
 * handed it (L1 hits, coalesced callers, the loader's own caller) sees the
 * same value and a mutation throws in strict-mode code. Iterative, so deep
 * nesting cannot overflow the stack; an object already frozen is not walked
 * again (cycles end there). Typed arrays and Buffers cannot be frozen and are
 * left as they are; a Map, Set or Date is frozen as an object (its entries are
 * frozen too) but its own methods (`set`, `add`, `setTime`) still change it.
 */
export function deepFreeze<V>(value: V): V {
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const next = todo.pop();
    if (typeof next !== "object" || next === null || Object.isFrozen(next) || ArrayBuffer.isView(next)) continue;
    Object.freeze(next);
    if (Array.isArray(next)) {
      for (let i = 0; i < next.length; i++) todo.push(next[i]);
    } else if (next instanceof Map) {
      for (const [key, item] of next) todo.push(key, item);
    } else if (next instanceof Set) {
      for (const item of next) todo.push(item);
    } else {
      for (const key of Object.keys(next)) todo.push((next as Record<string, unknown>)[key]);
    }
  }
  return value;
}
