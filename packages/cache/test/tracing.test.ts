import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LoaderError } from "../src/index.js";
import { cacheSuite } from "./support/cache.js";
import { ManualClock } from "./support/clock.js";

/**
 * The spans of `getOrSet` with a real tracer provider (in-memory exporter) and the real Redis:
 * their attributes for each way a call is answered, and the loader span as a child of its call.
 */
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

const spansNamed = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.name === name);
const only = (name: string): ReadableSpan => {
  const spans = spansNamed(name);
  expect(spans.map((span) => span.name)).toEqual([name]);
  return spans[0] as ReadableSpan;
};
const isChildOf = (child: ReadableSpan, parent: ReadableSpan) =>
  child.parentSpanContext?.spanId === parent.spanContext().spanId && child.spanContext().traceId === parent.spanContext().traceId;

describe("getOrSet spans", () => {
  const suite = cacheSuite("tracing");

  it("a load: a getOrSet span (tier loader, outcome loaded) with the loader as its child, under the caller's span", async () => {
    const cache = await suite.make();
    const users = cache.namespace<{ name: string }>("user");
    const request = trace.getTracer("test").startSpan("request");
    await context.with(trace.setSpan(context.active(), request), () => users.getOrSet(1, async () => ({ name: "ada" })));
    request.end();
    const call = only("getOrSet user");
    const load = only("load user");
    expect(call.attributes).toEqual({
      "hoard.namespace": "user",
      "hoard.protection": "distributed",
      "hoard.tier": "loader",
      "hoard.outcome": "loaded",
      "hoard.negative": false,
    });
    expect(load.attributes).toEqual({ "hoard.namespace": "user" });
    expect(isChildOf(load, call)).toBe(true);
    expect(isChildOf(call, only("request"))).toBe(true);
    expect(call.status.code).toBe(0); // UNSET: no error
  });

  it("an L1 hit: one span, tier l1, outcome hit, no loader span", async () => {
    const cache = await suite.make();
    const users = cache.namespace<string>("user");
    await users.getOrSet(2, () => "bob");
    exporter.reset();
    // A provider registered while running is seen at the next clock tick: poll rather than assume.
    await expect
      .poll(async () => {
        exporter.reset();
        expect(await users.getOrSet(2, () => "never")).toBe("bob");
        return spansNamed("getOrSet user").length;
      })
      .toBe(1);
    const [hit] = spansNamed("getOrSet user");
    expect(hit?.attributes).toEqual({
      "hoard.namespace": "user",
      "hoard.protection": "distributed",
      "hoard.tier": "l1",
      "hoard.outcome": "hit",
      "hoard.negative": false,
    });
    expect(spansNamed("load user")).toEqual([]);
  });

  it("an L2 hit: tier l2, outcome hit; a negative entry says so; the call's protection is reported", async () => {
    const writer = await suite.make();
    const reader = await suite.make({ l1: false });
    await writer.namespace<string>("user").getOrSet(3, () => "cyd");
    await writer.namespace<string>("user").getOrSet(4, () => null);
    exporter.reset();
    expect(await reader.namespace<string>("user").getOrSet(3, () => "never", { protection: "local" })).toBe("cyd");
    expect(only("getOrSet user").attributes).toEqual({
      "hoard.namespace": "user",
      "hoard.protection": "local",
      "hoard.tier": "l2",
      "hoard.outcome": "hit",
      "hoard.negative": false,
    });
    exporter.reset();
    expect(await reader.namespace<string>("user").getOrSet(4, () => "never")).toBeNull();
    expect(only("getOrSet user").attributes).toMatchObject({ "hoard.tier": "l2", "hoard.outcome": "hit", "hoard.negative": true });
    expect(spansNamed("load user")).toEqual([]);
  });

  it("a lock wait: the waiter's span says how long it waited for the other instance's load, and how it ended", async () => {
    const holder = await suite.make();
    const waiter = await suite.make({ defaults: { lockWaitTimeoutMs: 10_000 } });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const loading = new Promise<void>((resolve) => {
      started = resolve;
    });
    const held = holder.namespace<string>("user").getOrSet(5, async () => {
      started();
      await gate;
      return "dee";
    });
    await loading;
    const waited = waiter.namespace<string>("user").getOrSet(5, () => "waiter loaded");
    // The waiter has found the lock taken (counted) before the holder finishes.
    await expect.poll(() => waiter.stats().totals.lockWaits).toBe(1);
    const seenWaiting = performance.now();
    // The holder keeps the lock a little longer (bounded by the poll, no bare sleep): the wait spans that gap at least.
    await expect.poll(() => performance.now() - seenWaiting, { interval: 10 }).toBeGreaterThan(30);
    const waitedAtLeastMs = performance.now() - seenWaiting;
    release();
    expect(await held).toBe("dee");
    expect(await waited).toBe("dee");
    const calls = spansNamed("getOrSet user");
    expect(calls).toHaveLength(2);
    const waiterSpan = calls.find((span) => span.attributes["hoard.lock.wait_outcome"] !== undefined);
    expect(waiterSpan?.attributes).toMatchObject({
      "hoard.namespace": "user",
      "hoard.protection": "distributed",
      "hoard.tier": "l2",
      "hoard.outcome": "hit",
      "hoard.lock.wait_outcome": "value",
    });
    expect(waiterSpan?.attributes["hoard.lock.wait_ms"]).toBeGreaterThanOrEqual(waitedAtLeastMs);
    // One load in the cluster: the holder's, under the holder's call.
    const holderSpan = calls.find((span) => span !== waiterSpan) as ReadableSpan;
    expect(holderSpan.attributes).toMatchObject({ "hoard.tier": "loader", "hoard.outcome": "loaded" });
    expect(holderSpan.attributes["hoard.lock.wait_ms"]).toBeUndefined();
    expect(isChildOf(only("load user"), holderSpan)).toBe(true);
  });

  it("a loader error: both spans are errors with the cache's error code and the exception recorded", async () => {
    const cache = await suite.make();
    const users = cache.namespace<string>("user");
    await expect(
      users.getOrSet(6, () => {
        throw new Error("database down");
      }),
    ).rejects.toBeInstanceOf(LoaderError);
    const call = only("getOrSet user");
    const load = only("load user");
    expect(isChildOf(load, call)).toBe(true);
    for (const span of [call, load]) {
      expect(span.status).toMatchObject({ code: 2 }); // ERROR
      expect(span.attributes["error.type"]).toBe("E_LOADER");
      expect(span.events.map((event) => event.name)).toEqual(["exception"]);
      expect(span.events[0]?.attributes?.["exception.message"]).toContain("database down");
    }
    expect(call.attributes).toMatchObject({ "hoard.outcome": "error", "hoard.protection": "distributed" });
    expect(call.attributes["hoard.tier"]).toBeUndefined();
  });

  it("coalesced callers: each has its span; the joiners report the tier of the load they shared; one loader span", async () => {
    const cache = await suite.make();
    const users = cache.namespace<string>("user");
    const results = await Promise.all([1, 2, 3].map(() => users.getOrSet(7, async () => "eve")));
    expect(results).toEqual(["eve", "eve", "eve"]);
    const calls = spansNamed("getOrSet user");
    expect(calls.map((span) => span.attributes["hoard.outcome"]).sort()).toEqual(["coalesced", "coalesced", "loaded"]);
    expect(calls.every((span) => span.attributes["hoard.tier"] === "loader")).toBe(true);
    expect(spansNamed("load user")).toHaveLength(1);
  });

  it("fail-safe: a stale copy served after a loader error is outcome stale, no tier; the loader span is the error", async () => {
    const clock = new ManualClock();
    const cache = await suite.make({ clock, defaults: { jitter: 0, earlyRefreshBeta: 0, ttlMs: 1_000, graceMs: 60_000 } });
    const rows = cache.namespace<string>("row");
    await rows.getOrSet(1, () => "old");
    clock.advance(1_001); // past TTL, within grace
    exporter.reset();
    expect(
      await rows.getOrSet(1, () => {
        throw new Error("db down");
      }),
    ).toBe("old");
    const call = only("getOrSet row");
    expect(call.attributes).toMatchObject({ "hoard.outcome": "stale", "hoard.negative": false });
    expect(call.attributes["hoard.tier"]).toBeUndefined();
    expect(call.status.code).toBe(0); // the caller got a value
    expect(only("load row").status.code).toBe(2);
  });

  it("a getOrSet inside a loader: its span is a child of the outer load span, in the same trace", async () => {
    const cache = await suite.make();
    const teams = cache.namespace<string>("team");
    const users = cache.namespace<{ name: string; team: string | null }>("user");
    await users.getOrSet(8, async () => ({ name: "fay", team: await teams.getOrSet(1, () => "core") }));
    const outerLoad = only("load user");
    const inner = only("getOrSet team");
    expect(isChildOf(inner, outerLoad)).toBe(true);
    expect(isChildOf(only("load team"), inner)).toBe(true);
    expect(isChildOf(outerLoad, only("getOrSet user"))).toBe(true);
  });
});
