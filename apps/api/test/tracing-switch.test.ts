import { trace } from "@opentelemetry/api";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { tracingActive } from "../src/trpc/tracing.js";

/** Whether the procedures are built with their span (tracing.test.ts follows one traced request end to end). */
describe("procedure tracing switch", () => {
  afterEach(() => {
    trace.disable();
  });

  it("is off while no SDK registered a tracer provider: the procedures are then built without a span", () => {
    expect(tracingActive()).toBe(false);
  });

  it("is on once a provider is registered, as startTelemetry does before the API's modules load", () => {
    expect(trace.setGlobalTracerProvider(new TracerProvider())).toBe(true);
    expect(tracingActive()).toBe(true);
  });
});
