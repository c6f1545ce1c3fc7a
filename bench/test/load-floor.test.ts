import { History } from "@hoard/api";
import { describe, expect, it } from "vitest";
import { necessaryLoads } from "../src/api-mix/load-floor.js";

const read = (id: number, startAt: number) => ({ id, instance: -1, startAt, endAt: startAt + 5, ok: true, status: 200, version: 1 });

describe("the floor of the mixed-workload benchmark: reads any cache has to load", () => {
  it("counts the first read of each id and the first after each of its writes, from when a write was acknowledged", () => {
    const history = new History();
    history.addRead(read(1, 0)); // first read of 1: a load
    history.addRead(read(1, 10)); // cached
    history.addRead(read(2, 20)); // first read of 2: a load (absent or not, it is cached after)
    history.addWrite({ id: 1, version: 2, instance: -1, startAt: 30, ackAt: 50 });
    history.addRead(read(1, 40)); // began while the write ran: the old copy may still be served
    history.addRead(read(1, 60)); // the first after the acknowledgement: a load
    history.addRead(read(1, 70)); // cached again
    history.addRead(read(2, 80)); // cached
    expect(necessaryLoads(history)).toBe(3);
  });

  it("counts only reads from `from` on, with the state the earlier ones left", () => {
    const history = new History();
    history.addRead(read(1, 0));
    history.addRead(read(2, 5));
    history.addRead(read(1, 100)); // cached by the read at 0
    history.addRead(read(3, 110)); // a load, in the span
    history.addWrite({ id: 2, version: 2, instance: -1, startAt: 115, ackAt: 120 });
    history.addRead(read(2, 130)); // a load after the write, in the span
    expect(necessaryLoads(history, 100)).toBe(2);
  });

  it("treats a write that was not acknowledged as landed from when it was sent", () => {
    const history = new History();
    history.addRead(read(4, 0));
    history.failedWrites.push({ id: 4, startAt: 10, status: 503 });
    history.addRead(read(4, 20));
    expect(necessaryLoads(history)).toBe(2);
  });
});
