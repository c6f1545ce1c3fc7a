import { describe, expect, it } from "vitest";
import { InvalidOptionError, msgpackCodec } from "../src/index.js";
import { cacheSuite } from "./support/cache.js";

interface Profile {
  name: string;
  address: { city: string; lines: string[] };
  tags: { label: string }[];
}

const profile = (): Profile => ({ name: "Ada", address: { city: "London", lines: ["1 Lane"] }, tags: [{ label: "a" }] });

/** Every way a caller could try to change a value in place; each must throw for a frozen value. */
function mutations(value: Profile): (() => void)[] {
  return [
    () => {
      value.name = "Eve";
    },
    () => {
      (value as unknown as Record<string, unknown>).extra = 1;
    },
    () => {
      delete (value as Partial<Profile>).name;
    },
    () => {
      value.address.city = "Paris";
    },
    () => {
      value.address.lines.push("2 Lane");
    },
    () => {
      value.address.lines[0] = "changed";
    },
    () => {
      (value.tags[0] as { label: string }).label = "b";
    },
    () => {
      value.tags.length = 0;
    },
  ];
}

function expectFrozen(value: Profile | null): void {
  expect(value).toEqual(profile());
  for (const mutate of mutations(value as Profile)) expect(mutate).toThrow(TypeError);
  expect(value).toEqual(profile());
}

describe("l1Values: what callers can do to a value they were handed", () => {
  const suite = cacheSuite("l1values");
  const defaults = { jitter: 0, earlyRefreshBeta: 0 };

  it("frozen is the default: the loader's caller, coalesced callers and L1 hits all get a deep-frozen value; mutations throw and change nothing", async () => {
    const cache = await suite.make({ defaults });
    const ns = cache.namespace<Profile>("p");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const loaded = profile();
    const callers = Array.from({ length: 5 }, () =>
      ns.getOrSet(1, async () => {
        await gate;
        return loaded;
      }),
    );
    release();
    const values = await Promise.all(callers);
    expect(cache.stats().totals.coalesced).toBe(4);
    for (const value of values) expectFrozen(value);
    // The loader's own object is not the one served, and stays the loader's to change.
    loaded.name = "changed by the loader";
    const hit = await ns.getOrSet(1, async () => profile());
    expect(cache.stats().totals.l1Hits).toBeGreaterThan(0);
    expectFrozen(hit);
    expect(await ns.get(1)).toBe(hit);
    const detailed = await ns.getOrSetDetailed(1, async () => profile());
    expect(detailed.source).toBe("l1");
    expectFrozen(detailed.value);
  });

  it("frozen: values from an L2 hit, from set() and from getOrSetMany are frozen too", async () => {
    const writer = await suite.make({ defaults });
    const reader = await suite.make({ defaults });
    await writer.namespace<Profile>("p").set(1, profile());
    expectFrozen((await writer.namespace<Profile>("p").get(1)) as Profile);
    const fromL2 = await reader.namespace<Profile>("p").getOrSet(1, async () => profile());
    expect(reader.stats().totals.l2Hits).toBe(1);
    expectFrozen(fromL2);
    const many = await reader.namespace<Profile>("p").getOrSetMany([1, 2], async (ids) => ids.map(() => profile()));
    for (const value of many) expectFrozen(value);
  });

  it("frozen: binary values (msgpack Uint8Array, Date) are served without error", async () => {
    const cache = await suite.make({ defaults, codec: msgpackCodec() });
    const ns = cache.namespace<{ bytes: Uint8Array; at: Date; list: number[] }>("bin");
    const value = await ns.getOrSet(1, async () => ({ bytes: new Uint8Array([1, 2, 3]), at: new Date(0), list: [1] }));
    expect(Array.from(value?.bytes ?? [])).toEqual([1, 2, 3]);
    expect(value?.at.getTime()).toBe(0);
    expect(() => value?.list.push(2)).toThrow(TypeError);
    expect(await ns.getOrSet(1, async () => null)).toBe(value);
  });

  it("cloned: every read is an independent copy; what one caller changes no other caller sees", async () => {
    const cache = await suite.make({ defaults });
    const ns = cache.namespace<Profile>("c", { l1Values: "cloned" });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const callers = Array.from({ length: 3 }, () =>
      ns.getOrSet(1, async () => {
        await gate;
        return profile();
      }),
    );
    release();
    const values = (await Promise.all(callers)) as Profile[];
    expect(new Set(values).size).toBe(3);
    for (const value of values) {
      value.address.lines.push("mine");
      value.name = "changed";
    }
    const first = (await ns.getOrSet(1, async () => profile())) as Profile;
    const second = (await ns.getOrSet(1, async () => profile())) as Profile;
    expect(cache.stats().totals.l1Hits).toBe(2);
    expect(first).not.toBe(second);
    expect(first).toEqual(profile());
    first.tags.push({ label: "x" });
    expect(await ns.get(1)).toEqual(profile());
    const [fromMany] = await ns.getOrSetMany([1], async () => [profile()]);
    (fromMany as Profile).name = "changed";
    expect(await ns.get(1)).toEqual(profile());
  });

  it("shared: today's behaviour, every reader gets the one L1 instance", async () => {
    const cache = await suite.make({ defaults });
    const ns = cache.namespace<Profile>("s", { l1Values: "shared" });
    const first = (await ns.getOrSet(1, async () => profile())) as Profile;
    const second = await ns.getOrSet(1, async () => profile());
    expect(second).toBe(first);
    first.name = "changed";
    expect((await ns.get(1))?.name).toBe("changed");
  });

  it("l1Values is validated and part of the namespace's identity", async () => {
    const cache = await suite.make({ defaults });
    expect(() => cache.namespace("bad", { l1Values: "frozn" as "frozen" })).toThrow(InvalidOptionError);
    expect(() => cache.namespace("bad", { l1Values: "frozn" as "frozen" })).toThrow(/l1Values/);
    cache.namespace("one", { l1Values: "cloned" });
    expect(() => cache.namespace("one", { l1Values: "shared" })).toThrow(/l1Values/);
    expect(() => cache.namespace("one", { l1Values: "cloned" })).not.toThrow();
    cache.namespace("two");
    expect(() => cache.namespace("two", { l1Values: "frozen" })).not.toThrow();
  });
});
