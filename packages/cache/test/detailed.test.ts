import { describe, expect, it } from "vitest";
import { cacheSuite } from "./support/cache.js";

describe("getOrSetDetailed", () => {
  const suite = cacheSuite("detailed");

  it("says where each answer came from and how long it took", async () => {
    const a = await suite.make();
    const ns = a.namespace<{ n: number }>("n", { protection: "local" });
    const slow = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { n: 1 };
    };
    const [first, joined] = await Promise.all([ns.getOrSetDetailed(1, slow), ns.getOrSetDetailed(1, slow)]);
    expect(first).toMatchObject({ source: "loader", value: { n: 1 }, negative: false });
    expect(first.ms).toBeGreaterThanOrEqual(15);
    expect(joined.source).toBe("coalesced");
    expect((await ns.getOrSetDetailed(1, slow)).source).toBe("l1");
    const b = await suite.make();
    expect((await b.namespace<{ n: number }>("n").getOrSetDetailed(1, slow)).source).toBe("l2");
    expect(await ns.getOrSetDetailed(2, async () => null)).toMatchObject({ source: "loader", negative: true, value: null });
    expect(await ns.getOrSetDetailed(2, async () => null)).toMatchObject({ source: "l1", negative: true });
  });
});
