import { describe, expect, it } from "vitest";
import { cacheSuite } from "./support/cache.js";

describe("peek", () => {
  const suite = cacheSuite("peek");

  it("shows both tiers' copies of one id with the raw L2 bytes, and changes no counter", async () => {
    const cache = await suite.make();
    const users = cache.namespace<{ name: string }>("user", { ttlMs: 60_000 });
    await users.getOrSet(7, async () => ({ name: "Ada" }));
    await users.set(8, null);
    const before = { ...cache.stats().totals };

    const seen = await users.peek(7);
    expect(seen.codec).toBe("json");
    expect(seen.version).toBe(1);
    expect(seen.key).toMatch(/:user:v1:\{7\}$/);
    expect(seen.l1?.value).toEqual({ name: "Ada" });
    expect(seen.l2?.value).toEqual({ name: "Ada" });
    expect(seen.l2?.freshUntil).toBeGreaterThan(Date.now());
    expect(seen.l2?.staleUntil).toBeGreaterThanOrEqual(seen.l2?.freshUntil ?? 0);
    expect(seen.l2?.bytes.subarray(seen.headerBytes).toString("utf8")).toBe('{"name":"Ada"}');

    const absent = await users.peek(8);
    expect(absent.l2?.negative).toBe(true);
    expect(absent.l2?.value).toBeNull();
    const never = await users.peek(9);
    expect(never.l1).toBeNull();
    expect(never.l2).toBeNull();
    expect(cache.stats().totals).toEqual(before);
  });

  it("does not show an L1 copy a namespace clear has made unreachable", async () => {
    const cache = await suite.make();
    const users = cache.namespace<number>("user");
    await users.getOrSet(1, async () => 1);
    await users.clear();
    const seen = await users.peek(1);
    expect(seen.l1).toBeNull();
    expect(seen.l2).toBeNull();
  });
});
