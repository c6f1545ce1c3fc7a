import { describe, expect, it, vi } from "vitest";
import { LoaderError } from "../src/errors.js";
import { cacheSuite } from "./support/cache.js";

describe("single flight", () => {
  const suite = cacheSuite("flight");

  it("runs the loader once for concurrent callers and shares the value", async () => {
    const cache = await suite.make({ defaults: { protection: "local" } });
    const ns = cache.namespace<{ n: number }>("hot");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const loader = vi.fn(async () => {
      await gate;
      return { n: 1 };
    });
    const calls = Array.from({ length: 200 }, () => ns.getOrSet("k", loader));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const values = await Promise.all(calls);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(values.every((value) => value?.n === 1)).toBe(true);
    expect(cache.stats().totals.coalesced).toBe(199);
  });

  it("shares the error too", async () => {
    const cache = await suite.make({ defaults: { protection: "local" } });
    const ns = cache.namespace<{ n: number }>("hot");
    const loader = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error("boom");
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => ns.getOrSet("k", loader)));
    expect(loader).toHaveBeenCalledTimes(1);
    expect(results.every((r) => r.status === "rejected" && r.reason instanceof LoaderError)).toBe(true);
  });

  it("calls the loader per caller with protection none", async () => {
    const cache = await suite.make();
    const ns = cache.namespace<{ n: number }>("hot", { protection: "none" });
    const loader = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { n: 1 };
    });
    await Promise.all(Array.from({ length: 10 }, () => ns.getOrSet("k", loader)));
    expect(loader).toHaveBeenCalledTimes(10);
  });
});
