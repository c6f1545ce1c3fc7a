import { describe, expect, it } from "vitest";
import { z } from "zod";
import { jsonCodec, msgpackCodec } from "../src/encoding/codec.js";
import { jitterTtl } from "../src/time/ttl.js";
import { cacheSuite } from "./support/cache.js";

describe("TTL jitter", () => {
  const suite = cacheSuite("jitter");

  it("spreads TTLs by ±10% by default and not at all with 0", () => {
    expect(jitterTtl(10_000, 0.1, () => 0)).toBe(9_000);
    expect(jitterTtl(10_000, 0.1, () => 0.999999)).toBe(11_000);
    expect(jitterTtl(10_000, 0, () => 0)).toBe(10_000);
  });

  it("applies jitter to what is stored", async () => {
    const cache = await suite.make({ defaults: { graceMs: 0 } });
    const ns = cache.namespace<number>("n", { ttlMs: 100_000 });
    for (let id = 0; id < 40; id++) await ns.set(id, id);
    const pttls = await Promise.all(Array.from({ length: 40 }, (_, id) => suite.redis.pttl(`${suite.prefix}:n:v1:{${id}}`)));
    expect(Math.min(...pttls)).toBeGreaterThanOrEqual(89_000);
    expect(Math.max(...pttls)).toBeLessThanOrEqual(110_000);
    expect(new Set(pttls.map((p) => Math.round(p / 1000))).size).toBeGreaterThan(5);

    const exact = await suite.make({ defaults: { graceMs: 0, jitter: 0 } });
    await exact.namespace<number>("m", { ttlMs: 100_000 }).set(1, 1);
    expect(await suite.redis.pttl(`${suite.prefix}:m:v1:{1}`)).toBeGreaterThan(99_000);
  });
});

describe("codecs give the same types on both paths", () => {
  const suite = cacheSuite("codecs");
  const when = new Date("2026-01-02T03:04:05.000Z");

  it("json: a Date is an ISO string from L1 and from L2 (and from the loader's return)", async () => {
    const a = await suite.make({ codec: jsonCodec });
    const ns = a.namespace<{ at: Date | string }>("event");
    const fromLoad = await ns.getOrSet(1, async () => ({ at: when }));
    const fromL1 = await ns.getOrSet(1, async () => ({ at: when }));
    const b = await suite.make({ codec: jsonCodec });
    const fromL2 = await b.namespace<{ at: Date | string }>("event").getOrSet(1, async () => ({ at: when }));
    for (const value of [fromLoad, fromL1, fromL2]) expect(value?.at).toBe("2026-01-02T03:04:05.000Z");
  });

  it("json with a coercing schema: a Date on every path", async () => {
    const schema = z.object({ at: z.coerce.date() });
    const a = await suite.make();
    const ns = a.namespace("event", { schema });
    const fromLoad = await ns.getOrSet(1, async () => ({ at: when }));
    const fromL1 = await ns.getOrSet(1, async () => ({ at: when }));
    const b = await suite.make();
    const fromL2 = await b.namespace("event", { schema }).getOrSet(1, async () => ({ at: when }));
    for (const value of [fromLoad, fromL1, fromL2]) expect(value?.at).toEqual(when);
  });

  for (const records of [false, true]) {
    it(`msgpack${records ? " (records)" : ""}: a Date is a Date from L1 and from L2`, async () => {
      const codec = msgpackCodec({ records });
      const a = await suite.make({ codec });
      const ns = a.namespace<{ at: Date; list: { x: number }[] }>("event");
      const value = { at: when, list: [{ x: 1 }, { x: 2 }] };
      const fromLoad = await ns.getOrSet(1, async () => value);
      const fromL1 = await ns.getOrSet(1, async () => value);
      const b = await suite.make({ codec: msgpackCodec({ records }) });
      const fromL2 = await b.namespace<{ at: Date; list: { x: number }[] }>("event").getOrSet(1, async () => value);
      for (const got of [fromLoad, fromL1, fromL2]) {
        expect(got?.at).toBeInstanceOf(Date);
        expect(got).toEqual(value);
      }
    });
  }
});
