import { ProxyTracerProvider, type Span, SpanStatusCode, trace } from "@opentelemetry/api";

/** Resolved through the global provider: a no-op until the SDK starts (OTEL_EXPORTER_OTLP_ENDPOINT set). */
const tracer = trace.getTracer("@hoard/api");

/**
 * Runs one tRPC procedure inside its span `trpc {path}` (rpc.* attributes), active while it runs so
 * the cache's spans and the database's become its children. A failed result or a throw marks it as an error.
 */
export function traceProcedure<R extends { ok: boolean }>(path: string, type: string, run: () => Promise<R>): Promise<R> {
  const attributes = { "rpc.system": "trpc", "rpc.method": path, "trpc.type": type };
  return tracer.startActiveSpan(`trpc ${path}`, { attributes }, async (span: Span) => {
    try {
      const result = await run();
      if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR });
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Whether an OpenTelemetry SDK registered its tracer provider (telemetry.ts's `startTelemetry`, which
 * runs before the API's modules load). Until one does, the global provider is the API's proxy with no
 * delegate, and every span is a no-op.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer("@hoard/api") !== undefined;
}
