import { BUS_DELAY_BUDGET_MS, History } from "@hoard/api";
import { describe, expect, it } from "vitest";
import { countStale } from "../src/api-mix/stale.js";
import { readRecord } from "./support.js";

/** A history of one id: version 2 written over version 1, acknowledged at t = 1,000. */
function historyWithOneWrite(): History {
  const history = new History();
  history.addWrite({ id: 7, version: 1, instance: -1, startAt: 0, ackAt: 10 });
  history.addWrite({ id: 7, version: 2, instance: -1, startAt: 900, ackAt: 1_000 });
  return history;
}

const read = readRecord;

describe("the stale-read counter of the mixed-workload benchmark", () => {
  it("counts a read that returned an older version than a write acknowledged before it began, and tells bus delay from a lost invalidation", () => {
    const history = historyWithOneWrite();
    history.addRead(read(950, 1)); // began before the write was acknowledged: not stale
    history.addRead(read(1_000, 1)); // began at the acknowledgement: stale for 0 ms
    history.addRead(read(1_400, 1)); // within the bus budget
    history.addRead(read(1_000 + BUS_DELAY_BUDGET_MS + 1, 1)); // beyond it
    history.addRead(read(9_000, 1)); // the stale set that stays until its TTL
    history.addRead(read(9_100, 2)); // fresh
    expect(countStale(history)).toEqual({ all: 4, beyondBudget: 2, maxMs: 8_000 });
  });

  it("does not count failed reads, other ids, absent answers of ids never written, or reads before `from`", () => {
    const history = historyWithOneWrite();
    history.addRead(read(5_000, 1, 7, false));
    history.addRead(read(5_000, -1, 8));
    history.addRead(read(5_000, 0, 9));
    expect(countStale(history)).toEqual({ all: 0, beyondBudget: 0, maxMs: 0 });
    history.addRead(read(3_000, 1));
    expect(countStale(history, 4_000).all).toBe(0);
    expect(countStale(history, 2_000)).toEqual({ all: 1, beyondBudget: 1, maxMs: 2_000 });
  });

  it("counts an absent answer for an id whose write was acknowledged (a deleted-looking profile is stale too)", () => {
    const history = historyWithOneWrite();
    history.addRead(read(3_000, -1));
    expect(countStale(history).beyondBudget).toBe(1);
  });
});
