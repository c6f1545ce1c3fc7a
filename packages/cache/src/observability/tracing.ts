import { createRequire } from "node:module";
import type * as OpenTelemetry from "@opentelemetry/api";
import type { Resolved, ResultSource } from "../read/namespace-types.js";

/**
 * OpenTelemetry spans for `getOrSet`, through `@opentelemetry/api` when it is
 * installed (an optional peer dependency). Without it, or while no tracer
 * provider is registered, every method here is a no-op and the L1 hit path
 * pays one check ({@link tracingOn}) and allocates nothing.
 */

/** The attribute names a `getOrSet` span and its loader span carry (see the package README). */
export const SPAN_ATTRIBUTES = {
  namespace: "hoard.namespace",
  tier: "hoard.tier",
  outcome: "hoard.outcome",
  protection: "hoard.protection",
  negative: "hoard.negative",
  lockWaitMs: "hoard.lock.wait_ms",
  lockWaitOutcome: "hoard.lock.wait_outcome",
  errorType: "error.type",
} as const;

/** What a `getOrSet` span reports as its outcome. */
export type SpanOutcome = "hit" | "loaded" | "coalesced" | "stale" | "error";

const TRACER_NAME = "@hoard/cache";

/** The optional peer, loaded synchronously (the package stays importable with `require()` too); undefined when not installed. */
function loadOpenTelemetry(): typeof OpenTelemetry | undefined {
  try {
    return createRequire(import.meta.url)("@opentelemetry/api") as typeof OpenTelemetry;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
    throw error;
  }
}

const api = loadOpenTelemetry();
/** The provider the API hands out while none is registered: a proxy whose delegate is this no-op. */
const idleDelegate = api ? new api.ProxyTracerProvider().getDelegate() : undefined;
/** The context key under which the `getOrSet` span of the running call is kept (for the lock wait). */
const GET_OR_SET_SPAN = api?.createContextKey("hoard getOrSet span");

/**
 * Whether spans are recorded: the API is installed and a tracer provider is registered. A provider
 * registered by another copy of the API (ESM next to this CJS one) is a different class: also on.
 */
export function tracingOn(): boolean {
  if (!api) return false;
  const provider = api.trace.getTracerProvider();
  return !(provider instanceof api.ProxyTracerProvider) || provider.getDelegate() !== idleDelegate;
}

let checkedAt = Number.NaN;
let onAtCheck = false;

/**
 * {@link tracingOn} for the L1 hit path, asked again only when the clock reading `now` changes
 * (about once a millisecond with the real clock): a provider registered meanwhile is seen within a
 * tick, and a hit pays one comparison instead of the API's global lookup.
 */
export function tracingOnAt(now: number): boolean {
  if (now === checkedAt) return onAtCheck;
  checkedAt = now;
  onAtCheck = tracingOn();
  return onAtCheck;
}

/** tier/outcome of a `getOrSet` answer, from where it came (a coalesced caller reports the tier of the load it joined). */
function describe(source: ResultSource, shared: ResultSource | undefined): { tier?: string; outcome: SpanOutcome } {
  switch (source) {
    case "l1":
    case "l2":
      return { tier: source, outcome: "hit" };
    case "lock-wait":
      return { tier: "l2", outcome: "hit" };
    case "loader":
      return { tier: "loader", outcome: "loaded" };
    case "coalesced":
      return { ...(shared && shared !== "coalesced" ? describe(shared, undefined) : {}), outcome: "coalesced" };
    case "stale":
      return { outcome: "stale" };
  }
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : ((error as Error)?.name ?? "Error");
}

function failSpan(span: OpenTelemetry.Span, error: unknown): void {
  span.setAttribute(SPAN_ATTRIBUTES.errorType, errorType(error));
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: (api as typeof OpenTelemetry).SpanStatusCode.ERROR, message: (error as Error)?.message });
}

function tracer(otel: typeof OpenTelemetry): OpenTelemetry.Tracer {
  // Asked per span (not kept): a provider registered or replaced later is the one used.
  return otel.trace.getTracer(TRACER_NAME);
}

/** Records an L1 hit as a `getOrSet` span that starts and ends at once. Call only when {@link tracingOn}. */
export function traceL1Hit(namespace: string, protection: string, negative: boolean): void {
  if (!api) return;
  tracer(api)
    .startSpan(`getOrSet ${namespace}`, {
      attributes: {
        [SPAN_ATTRIBUTES.namespace]: namespace,
        [SPAN_ATTRIBUTES.protection]: protection,
        [SPAN_ATTRIBUTES.tier]: "l1",
        [SPAN_ATTRIBUTES.outcome]: "hit",
        [SPAN_ATTRIBUTES.negative]: negative,
      },
    })
    .end();
}

/**
 * Runs the slow path of one `getOrSet` inside its span (active, so the loader span and whatever the
 * loader does become its children), and ends it with the tier and outcome. Call only when {@link tracingOn}.
 */
export function traceGetOrSet<T>(namespace: string, protection: string, run: () => Promise<Resolved<T>>): Promise<Resolved<T>> {
  const otel = api;
  if (!otel || !GET_OR_SET_SPAN) return run();
  const span = tracer(otel).startSpan(`getOrSet ${namespace}`, {
    attributes: { [SPAN_ATTRIBUTES.namespace]: namespace, [SPAN_ATTRIBUTES.protection]: protection },
  });
  const active = otel.trace.setSpan(otel.context.active(), span).setValue(GET_OR_SET_SPAN, span);
  const resolved = otel.context.with(active, run);
  resolved.then(
    ({ value, source, shared }) => {
      const { tier, outcome } = describe(source, shared);
      if (tier) span.setAttribute(SPAN_ATTRIBUTES.tier, tier);
      span.setAttribute(SPAN_ATTRIBUTES.outcome, outcome);
      span.setAttribute(SPAN_ATTRIBUTES.negative, value === null);
      span.end();
    },
    (error: unknown) => {
      span.setAttribute(SPAN_ATTRIBUTES.outcome, "error");
      failSpan(span, error);
      span.end();
    },
  );
  return resolved;
}

/** Runs a loader inside a child span `load {namespace}` of the active context. A no-op wrapper when tracing is off. */
export function traceLoader<R>(namespace: string, run: () => Promise<R>): Promise<R> {
  const otel = api;
  if (!otel || !tracingOn()) return run();
  const span = tracer(otel).startSpan(`load ${namespace}`, { attributes: { [SPAN_ATTRIBUTES.namespace]: namespace } });
  const result = otel.context.with(otel.trace.setSpan(otel.context.active(), span), run);
  result.then(
    () => span.end(),
    (error: unknown) => {
      failSpan(span, error);
      span.end();
    },
  );
  return result;
}

/** Notes on the running call's `getOrSet` span how long it waited for another process's lock, and how the wait ended. */
export function noteLockWait(waitMs: number, outcome: string): void {
  if (!api || !GET_OR_SET_SPAN) return;
  const span = api.context.active().getValue(GET_OR_SET_SPAN) as OpenTelemetry.Span | undefined;
  span?.setAttributes({ [SPAN_ATTRIBUTES.lockWaitMs]: Math.round(waitMs * 1000) / 1000, [SPAN_ATTRIBUTES.lockWaitOutcome]: outcome });
}
