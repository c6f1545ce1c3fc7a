import { register } from "node:module";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { ExpressInstrumentation } from "@opentelemetry/instrumentation-express";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace";
import type { TelemetryConfig } from "./config.js";

/** Incoming requests that are probes or scrapes, not traffic: no trace of their own. */
const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/** The traces URL of an OTLP/HTTP base endpoint (`http://collector:4318` → `http://collector:4318/v1/traces`). */
export function tracesUrl(endpoint: string): string {
  return new URL("v1/traces", endpoint.endsWith("/") ? endpoint : `${endpoint}/`).href;
}

/**
 * Starts the OpenTelemetry Node SDK: HTTP, Express and pg instrumentation, spans batched to the
 * OTLP/HTTP endpoint (or to `spanProcessors`, which tests pass with an in-memory exporter). Call it
 * before importing the modules that load express and pg (server.ts imports start.ts afterwards):
 * the instrumentations patch those packages as they load, the ESM hook registered here included.
 * The cache's own spans (@hoard/cache) need nothing more: they go to the provider registered here.
 */
export function startTelemetry(config: TelemetryConfig, options: { spanProcessors?: SpanProcessor[] } = {}): { shutdown(): Promise<void> } {
  // ESM imports of CommonJS packages (express, pg) bypass require(): this hook lets the instrumentations see them.
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    spanProcessors: options.spanProcessors ?? [
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesUrl(config.endpoint) }) }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? "").split("?")[0] ?? "") }),
      new ExpressInstrumentation(),
      new PgInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
