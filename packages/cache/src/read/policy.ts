import type { CallOptions, EntryPolicy } from "../options.js";

/**
 * The policy for one call: `base` with the overrides that are set. An
 * override given as `undefined` keeps the base value (a spread would not).
 */
export function mergePolicy(base: Readonly<EntryPolicy>, overrides: CallOptions | undefined): Readonly<EntryPolicy> {
  if (!overrides) return base;
  const merged: EntryPolicy = { ...base };
  for (const name of Object.keys(overrides) as (keyof EntryPolicy)[]) {
    // Not a policy setting: `tags` (of getOrSet and set) travel apart.
    if ((name as string) === "tags") continue;
    const value = overrides[name];
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[name] = value;
  }
  return merged;
}
