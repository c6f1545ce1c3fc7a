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
  if (!needsFreezing(value)) return value;
  const todo: object[] = [value as object];
  while (todo.length > 0) {
    const next = todo.pop() as object;
    // Pushed twice before it was reached (two parents), or a view: nothing to do.
    if (Object.isFrozen(next) || ArrayBuffer.isView(next)) continue;
    Object.freeze(next);
    if (Array.isArray(next)) {
      for (let i = 0; i < next.length; i++) if (needsFreezing(next[i])) todo.push(next[i]);
    } else if (next instanceof Map) {
      for (const [key, item] of next) {
        if (needsFreezing(key)) todo.push(key);
        if (needsFreezing(item)) todo.push(item);
      }
    } else if (next instanceof Set) {
      for (const item of next) if (needsFreezing(item)) todo.push(item);
    } else {
      for (const key of Object.keys(next)) {
        const item = (next as Record<string, unknown>)[key];
        if (needsFreezing(item)) todo.push(item as object);
      }
    }
  }
  return value;
}

/** An object not frozen yet: primitives, the common leaves, are never pushed (this runs on every L2 hit). */
function needsFreezing(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Object.isFrozen(value);
}
