import { History } from "@hoard/api";
import { describe, expect, it } from "vitest";
import { necessaryLoads } from "../src/api-mix/load-floor.js";
import { readRecord } from "./support.js";

/** A read of `id` that began at `startAt` and returned `version`. */
const read = (id: number, startAt: number, version: number, ok = true) => readRecord(startAt, version, id, ok);

describe("the floor of the mixed-workload benchmark: loads the answers needed", () => {
  it("counts each version of a row (or its absence) once, however many reads returned it", () => {
    const history = new History();
    history.addRead(read(1, 0, -1)); // the seeded row of 1: a load
    history.addRead(read(1, 10, -1)); // the same version again: served from a cache
    history.addRead(read(2, 20, -1)); // an id with no user: its absence was loaded once
    history.addRead(read(2, 25, -1));
    history.addWrite({ id: 1, version: 7, instance: -1, startAt: 30, ackAt: 50 });
    history.addRead(read(1, 40, 7)); // began while the write ran and got the new row: one load, wherever it was
    history.addRead(read(1, 60, 7)); // the same version after the acknowledgement: nothing more to load
    history.addRead(read(1, 70, -1)); // a stale answer needs no load: that version was loaded before
    expect(necessaryLoads(history)).toBe(3);
  });

  it("counts only versions first served from `from` on; those served before may still be cached", () => {
    const history = new History();
    history.addRead(read(1, 0, -1));
    history.addRead(read(2, 5, -1));
    history.addRead(read(1, 100, -1)); // served before the span
    history.addRead(read(3, 110, -1)); // new in the span
    history.addWrite({ id: 2, version: 9, instance: -1, startAt: 115, ackAt: 120 });
    history.addRead(read(2, 130, 9)); // a new version in the span
    expect(necessaryLoads(history, 100)).toBe(2);
  });

  it("ignores failed reads: they returned nothing", () => {
    const history = new History();
    history.addRead(read(4, 0, -1, false));
    expect(necessaryLoads(history)).toBe(0);
  });
});
