import { describe, expect, expectTypeOf, it } from "vitest";
import { InvalidOptionError, type LoaderContext } from "../src/index.js";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";

describe("the loader context", () => {
  const suite = cacheSuite("ctx");

  it("is typed: stale is the namespace's type, setTtl/setTags/skip exist", async () => {
    const cache = await suite.make();
    await cache.namespace<{ n: number }>("item").getOrSet("k", (ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<LoaderContext<string | number, { n: number }>>();
      expectTypeOf(ctx.stale).toEqualTypeOf<{ n: number } | undefined>();
      return { n: 1 };
    });
  });

  it("ctx.stale is the stale value when one is kept (an expired entry), undefined otherwise", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item");
    const seen: (string | undefined)[] = [];
    const loader = async (ctx: LoaderContext<string | number, string>) => {
      seen.push(ctx.stale);
      return `v${seen.length}`;
    };
    await items.getOrSet("k", loader);
    await items.expire("k");
    await items.getOrSet("k", loader); // stale served, refresh in the background
    await waitUntil(() => seen.length === 2, 2_000, "the refresh");
    expect(seen).toEqual([undefined, "v1"]);
  });

  it("ctx.setTtl sets the TTL of what is stored (no jitter)", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item", { ttlMs: 60_000 });
    await items.getOrSet("token", (ctx) => {
      ctx.setTtl(1_500);
      return "secret";
    });
    const { l2 } = await items.peek("token");
    const left = (l2?.freshUntil ?? 0) - Date.now();
    expect(left).toBeGreaterThan(1_000);
    expect(left).toBeLessThanOrEqual(1_500);
  });

  it("ctx.skip returns the value without caching it", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item");
    let calls = 0;
    const loader = (ctx: LoaderContext<string | number, string>) => {
      calls++;
      ctx.skip();
      return "uncached";
    };
    expect(await items.getOrSet("k", loader)).toBe("uncached");
    expect(await items.peek("k")).toMatchObject({ l1: null, l2: null });
    expect(await items.getOrSet("k", loader)).toBe("uncached");
    expect(calls).toBe(2);
    expect(await suite.redis.exists(`${suite.prefix}:item:v1:{k}:lock`)).toBe(0); // the lock was freed
  });

  it("misuse is a typed InvalidOptionError (not a LoaderError), even with a stale copy to fall back on", async () => {
    const cache = await suite.make();
    const items = cache.namespace<string>("item");
    for (const bad of [-1, 0, 1.5, Number.NaN]) {
      await expect(
        items.getOrSet(`k${bad}`, (ctx) => {
          ctx.setTtl(bad);
          return "v";
        }),
      ).rejects.toBeInstanceOf(InvalidOptionError);
    }
    await expect(
      items.getOrSet("t", (ctx) => {
        ctx.setTags([""]);
        return "v";
      }),
    ).rejects.toThrow(/ctx.setTags\(\): invalid tag/);
    let kept: LoaderContext<string | number, string> | undefined;
    await items.getOrSet("late", (ctx) => {
      kept = ctx;
      return "v";
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => kept?.setTtl(10)).toThrow(InvalidOptionError);
    expect(() => kept?.skip()).toThrow(/after the loader returned/);
  });
});
