import type { ProfileStoreFactory } from "@hoard/api";
import { bentocache } from "./variants/bentocache.js";
import { noCache } from "./variants/no-cache.js";
import { recipe } from "./variants/recipe.js";

/** The four read/write paths compared behind the same API (`CACHE_STRATEGY` of an instance.ts process). */
export const STRATEGIES = ["none", "recipe", "bentocache", "hoard"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What each strategy plugs into the API; Hoard's is the API as shipped (no replacement, nothing added on its path). */
export const REPLACEMENTS: Record<Strategy, ProfileStoreFactory | undefined> = {
  none: noCache,
  recipe,
  bentocache,
  hoard: undefined,
};

export const STRATEGY_NAMES: Record<Strategy, string> = {
  none: "no cache",
  recipe: "seeds' recipe (ioredis GET / SETEX 300 / DEL)",
  bentocache: "bentocache 1.6.1 (memory + Redis + bus)",
  hoard: "Hoard (the API as shipped)",
};

/** Short names, for the chart. */
export const STRATEGY_LABELS: Record<Strategy, string> = {
  none: "no cache",
  recipe: "seeds' recipe",
  bentocache: "bentocache 1.6.1",
  hoard: "Hoard",
};
