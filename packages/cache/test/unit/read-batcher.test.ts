import { describe, expect, it } from "vitest";
import { ReadBatcher } from "../../src/tiers/read-batcher.js";

/** A batcher over a fake key-value source that records the commands it is sent. */
function batcher(values: Record<string, string>, fail = false) {
  const sent: string[][] = [];
  const read = (key: string) => (key in values ? Buffer.from(values[key] as string) : null);
  const batch = new ReadBatcher(
    async (key) => {
      sent.push([key]);
      if (fail) throw new Error("down");
      return read(key);
    },
    async (keys) => {
      sent.push(keys);
      if (fail) throw new Error("down");
      return keys.map(read);
    },
  );
  return { batch, sent };
}

describe("read batching (no Redis)", () => {
  it("reads of one turn go out as one MGET, answered in order; a lone read is a plain GET", async () => {
    const { batch, sent } = batcher({ a: "1", c: "3" });
    const values = await Promise.all(["a", "b", "c"].map((key) => batch.get(key)));
    expect(values.map((value) => value?.toString() ?? null)).toEqual(["1", null, "3"]);
    expect(await batch.get("a")).toEqual(Buffer.from("1"));
    expect(sent).toEqual([["a", "b", "c"], ["a"]]);
    expect(batch.commands).toBe(2);
    expect(batch.reads).toBe(4);
  });

  it("a failed command rejects every read it carried, and the next turn starts a new batch", async () => {
    const { batch } = batcher({}, true);
    const results = await Promise.allSettled([batch.get("a"), batch.get("b")]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    await expect(batch.get("c")).rejects.toThrow("down");
  });
});
