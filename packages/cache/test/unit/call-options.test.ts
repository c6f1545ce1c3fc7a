import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { validateCallOptions } from "../../src/options.js";

/** The hand-written quick check of per-call options (the L1 hit path) accepts exactly what the schema does. */
describe("validateCallOptions", () => {
  const valid = [
    { ttlMs: 1 },
    { negativeTtlMs: 5_000, lockTtlMs: 10, lockWaitTimeoutMs: 20 },
    { graceMs: 0, softTimeoutMs: 0, failSafeThrottleMs: 0, hardTimeoutMs: 0 },
    { jitter: 0.5, earlyRefreshBeta: 10 },
    { protection: "none" },
    { onLockTimeout: "throw" },
    { backgroundCompletion: true },
    { tags: ["a", "b"] },
    { ttlMs: undefined },
  ];
  for (const options of valid)
    it(`accepts ${JSON.stringify(options)}`, () => expect(() => validateCallOptions(options as never)).not.toThrow());

  const invalid: [object, string][] = [
    [{ ttlMs: 0 }, "ttlMs"],
    [{ ttlMs: 1.5 }, "ttlMs"],
    [{ graceMs: -1 }, "graceMs"],
    [{ jitter: 0.6 }, "jitter"],
    [{ jitter: Number.NaN }, "jitter"],
    [{ earlyRefreshBeta: 11 }, "earlyRefreshBeta"],
    [{ protection: "cluster" }, "protection"],
    [{ onLockTimeout: "wait" }, "onLockTimeout"],
    [{ backgroundCompletion: "yes" }, "backgroundCompletion"],
    [{ tags: "a" }, "tags"],
    [{ ttl: 5 }, "(root)"],
  ];
  for (const [options, name] of invalid)
    it(`refuses ${JSON.stringify(options)}, naming ${name}`, () => {
      expect(() => validateCallOptions(options as never)).toThrow(InvalidOptionError);
      expect(() => validateCallOptions(options as never)).toThrow(name);
    });
});
