import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cacheSuite } from "./support/cache.js";

/**
 * With `@opentelemetry/api` installed but no tracer provider registered (most test runs, an app
 * that never starts the SDK), the cache asks for no tracer: no span objects, not even no-op ones.
 * The copy spied on is the one the cache loads (`require` from its sources).
 */
const api = createRequire(new URL("../src/observability/tracing.ts", import.meta.url))(
  "@opentelemetry/api",
) as typeof import("@opentelemetry/api");

describe("tracing off", () => {
  const suite = cacheSuite("tracing-off");
  afterEach(() => vi.restoreAllMocks());

  it("no provider: L1 hits, L2 hits, loads and loader errors ask for no tracer", async () => {
    const getTracer = vi.spyOn(api.trace, "getTracer");
    const writer = await suite.make();
    const reader = await suite.make({ l1: false });
    const users = writer.namespace<string>("user");
    expect(await users.getOrSet(1, () => "ada")).toBe("ada");
    for (let i = 0; i < 1_000; i++) await users.getOrSet(1, () => "never");
    expect(await reader.namespace<string>("user").getOrSet(1, () => "never")).toBe("ada");
    await expect(
      users.getOrSet(2, () => {
        throw new Error("down");
      }),
    ).rejects.toThrow(/down/);
    expect(getTracer).not.toHaveBeenCalled();
    expect(writer.stats().totals.l1Hits).toBeGreaterThanOrEqual(1_000);
  });
});
