import { BUS_DELAY_BUDGET_MS, type History } from "@hoard/api";

/** Stale reads of a history, by the consistency checker's definition. */
export interface StaleCount {
  /** Reads that returned an older version than a write acknowledged before they began. */
  all: number;
  /** Those that began more than the bus delay budget after that write was acknowledged. */
  beyondBudget: number;
  /** The stalest, in ms after the newer write's acknowledgement (0 when none). */
  maxMs: number;
}

/** Counts the stale reads that began at or after `from` (the clock of the history's records). */
export function countStale(history: History, from = 0, budgetMs = BUS_DELAY_BUDGET_MS): StaleCount {
  const stale = history.staleReads(from);
  return {
    all: stale.length,
    beyondBudget: stale.filter((each) => each.staleForMs > budgetMs).length,
    maxMs: Math.max(0, ...stale.map((each) => each.staleForMs)),
  };
}
