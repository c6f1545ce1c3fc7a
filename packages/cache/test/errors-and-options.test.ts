import { describe, expect, it } from "vitest";
import { CacheClosedError, CacheError, InvalidKeyError, InvalidOptionError, LoaderError } from "../src/errors.js";
import { createCache, jsonCodec, msgpackCodec } from "../src/index.js";
import { recordingLogger } from "./support/cache.js";

describe("options are validated at construction", () => {
  it.each([
    [{ prefix: "has space" }, /"prefix"/],
    [{ l1: { maxEntries: 0 } }, /"l1.maxEntries"/],
    [{ l1: { admission: "lfu" as "lru" } }, /"l1.admission"/],
    [{ commandTimeoutMs: -1 }, /"commandTimeoutMs"/],
    [{ defaults: { jitter: 2 } }, /"defaults.jitter"/],
    [{ defaults: { protection: "global" } }, /"defaults.protection"/],
    [{ ttl: 5 }, /ttl/],
    [{ codec: { name: "x" } }, /"codec"/],
  ])("%j fails naming the option", (options, message) => {
    expect(() => createCache({ redis: false, ...(options as object) })).toThrow(InvalidOptionError);
    expect(() => createCache({ redis: false, ...(options as object) })).toThrow(message);
  });

  it("validates namespace options and call overrides", async () => {
    const cache = createCache({ redis: false });
    expect(() => cache.namespace("user", { ttlMs: 0 })).toThrow(/"ttlMs" in cache.namespace\("user"\)/);
    expect(() => cache.namespace("user", { version: 1.5 })).toThrow(/"version"/);
    expect(() => cache.namespace("bad:name")).toThrow(InvalidKeyError);
    const ns = cache.namespace<number>("n");
    await expect(ns.getOrSet(1, async () => 1, { ttlMs: -5 })).rejects.toThrow(/"ttlMs" in call options/);
    await cache.close();
  });
});

describe("typed errors", () => {
  it("share the CacheError base, a stable code and the cause", async () => {
    const cache = createCache({ redis: false, logger: recordingLogger() });
    const ns = cache.namespace<number>("n");
    const cause = new TypeError("bad row");
    const error = await ns
      .getOrSet(1, () => {
        throw cause;
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toBeInstanceOf(LoaderError);
    expect(error.code).toBe("E_LOADER");
    expect(error.cause).toBe(cause);
    expect(error.message).toContain("bad row");
    await cache.close();
    await expect(ns.getOrSet(2, async () => 2)).rejects.toBeInstanceOf(CacheClosedError);
  });
});

describe("a namespace has one set of options per cache", () => {
  it("asking again with a different option throws InvalidOptionError naming it; the same effective options return the same view", async () => {
    const cache = createCache({ redis: false, defaults: { ttlMs: 30_000 } });
    const users = cache.namespace<number>("user", { ttlMs: 10_000 });
    expect(cache.namespace<number>("user")).toBe(users);
    expect(cache.namespace<number>("user", { ttlMs: 10_000 })).toBe(users);
    expect(() => cache.namespace<number>("user", { ttlMs: 20_000 })).toThrow(InvalidOptionError);
    expect(() => cache.namespace<number>("user", { ttlMs: 20_000 })).toThrow(/"ttlMs"/);
    expect(() => cache.namespace<number>("user", { ttlMs: 10_000, graceMs: 5 })).toThrow(/"graceMs"/);
    expect(() => cache.namespace<number>("user", { ttlMs: 10_000, protection: "none" })).toThrow(/"protection"/);
    expect(() => cache.namespace<number>("user", { ttlMs: 10_000, l1: false })).toThrow(/"l1"/);
    expect(() => cache.namespace<number>("user", { ttlMs: 10_000, codec: msgpackCodec() })).toThrow(/"codec"/);
    expect(() => cache.namespace<number>("user", { ttlMs: 10_000, version: 2 })).toThrow(/"version"/);

    // Spelling out a default is the same option as leaving it out.
    const posts = cache.namespace<number>("post");
    expect(cache.namespace<number>("post", { version: 1, l1: true, ttlMs: 30_000, codec: jsonCodec })).toBe(posts);
    expect(() => cache.namespace<number>("post", { negativeTtlMs: 1 })).toThrow(/"negativeTtlMs"/);
    await cache.close();
  });
});

describe("a ready client must come from the ioredis the cache shares (one copy, a peer dependency)", () => {
  it("a client-shaped object of another copy is refused naming the option, not half-used", () => {
    const foreign = {
      sendCommand: () => undefined,
      defineCommand: () => undefined,
      getBuffer: () => undefined,
      duplicate: () => undefined,
    };
    expect(() => createCache({ redis: foreign as never })).toThrow(InvalidOptionError);
    expect(() => createCache({ redis: foreign as never })).toThrow(/another copy of ioredis/);
  });
});
