import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { afterAll, describe, expect, it } from "vitest";
import { startTelemetry, tracesUrl } from "../src/telemetry.js";

/**
 * One API request traced end to end with the API's own SDK setup (telemetry.ts), spans kept in
 * memory: HTTP server span → tRPC procedure → cache getOrSet → loader → Postgres query, each the
 * child of the one before (asserted by span and trace ids, not only by name).
 *
 * The SDK starts before the API's modules load (as server.ts does), so only type imports and the
 * telemetry module are static here; the rest is imported once it runs.
 */
const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry(
  { endpoint: "http://127.0.0.1:1", serviceName: "hoard-api-test" },
  {
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  },
);

const { useTestApi } = await import("./support/api.js");
const { raw } = await import("./support/client.js");

const suite = useTestApi("tracing");

afterAll(async () => {
  await telemetry.shutdown();
});

const parentOf = (span: ReadableSpan, spans: ReadableSpan[]) =>
  spans.find((other) => other.spanContext().spanId === span.parentSpanContext?.spanId);

/** The span's ancestors, nearest first (within the finished spans). */
function ancestors(span: ReadableSpan, spans: ReadableSpan[]): ReadableSpan[] {
  const chain: ReadableSpan[] = [];
  for (let parent = parentOf(span, spans); parent; parent = parentOf(parent, spans)) chain.push(parent);
  return chain;
}

describe("tracing one request", () => {
  it("user.byId on a cold cache: HTTP → trpc user.byId → getOrSet user → load user → pg query, linked parent to child", async () => {
    const [row] = (
      await suite.database.query<{ id: number }>(
        "INSERT INTO users (username, email, display_name) VALUES ('traced', 'traced@example.com', 'Traced') RETURNING id",
      )
    ).rows;
    exporter.reset();
    const response = await raw(suite.api.url, "user.byId", { input: { id: row?.id } });
    expect(response.status).toBe(200);
    // The HTTP server span ends once the response is written: poll for it rather than assume.
    await expect.poll(() => exporter.getFinishedSpans().some((span) => span.name.startsWith("GET"))).toBe(true);
    const request = exporter.getFinishedSpans().find((span) => span.name.startsWith("GET")) as ReadableSpan;
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === request.spanContext().traceId);
    const named = (match: (name: string) => boolean) => {
      const found = spans.filter((span) => match(span.name));
      expect(found, `spans: ${spans.map((span) => span.name).join(", ")}`).toHaveLength(1);
      return found[0] as ReadableSpan;
    };
    const http = named((name) => name.startsWith("GET"));
    const procedure = named((name) => name === "trpc user.byId");
    const call = named((name) => name === "getOrSet user");
    const load = named((name) => name === "load user");
    const query = spans.filter((span) => span.name.startsWith("pg.query") && parentOf(span, spans) === load);

    expect(http.kind).toBe(1); // SERVER
    expect(http.attributes["http.route"] ?? http.attributes["http.target"] ?? http.attributes["url.path"]).toContain("/trpc");
    // The procedure runs under the request (through Express's spans in between).
    expect(ancestors(procedure, spans)).toContain(http);
    expect(parentOf(call, spans)).toBe(procedure);
    expect(parentOf(load, spans)).toBe(call);
    expect(query).toHaveLength(1);
    expect(query[0]?.attributes["db.system"] ?? query[0]?.attributes["db.system.name"]).toBe("postgresql");
    expect(String(query[0]?.attributes["db.statement"] ?? query[0]?.attributes["db.query.text"])).toMatch(/from "users"/i);
    expect(procedure.attributes).toMatchObject({ "rpc.system": "trpc", "rpc.method": "user.byId", "trpc.type": "query" });
    expect(call.attributes).toMatchObject({ "hoard.namespace": "user", "hoard.tier": "loader", "hoard.outcome": "loaded" });
  });

  it("the same read again is an L1 hit: getOrSet answers from l1, no loader span, no query", async () => {
    const [row] = (await suite.database.query<{ id: number }>("SELECT id FROM users WHERE username = 'traced'")).rows;
    exporter.reset();
    expect((await raw(suite.api.url, "user.byId", { input: { id: row?.id } })).status).toBe(200);
    await expect.poll(() => exporter.getFinishedSpans().some((span) => span.name.startsWith("GET"))).toBe(true);
    // This request's trace only (the outbox and the heartbeat query Postgres on their own meanwhile).
    const request = exporter.getFinishedSpans().find((span) => span.name.startsWith("GET")) as ReadableSpan;
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === request.spanContext().traceId);
    const call = spans.find((span) => span.name === "getOrSet user");
    expect(call?.attributes).toMatchObject({ "hoard.tier": "l1", "hoard.outcome": "hit" });
    expect(parentOf(call as ReadableSpan, spans)?.name).toBe("trpc user.byId");
    expect(spans.filter((span) => span.name === "load user" || span.name.startsWith("pg"))).toEqual([]);
  });

  it("sends traces to {endpoint}/v1/traces, as the OTLP/HTTP exporter does with the variable alone", () => {
    expect(tracesUrl("http://collector:4318")).toBe("http://collector:4318/v1/traces");
    expect(tracesUrl("https://otlp.example.com/base/")).toBe("https://otlp.example.com/base/v1/traces");
  });
});
