import express from "express";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { requestContext, requestLog } from "../../src/http/request-context.js";
import { listen, logSink } from "../support/express-app.js";
import { until } from "../support/poll.js";

const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** An app with the request context in front of a few routes, logging JSON lines into `lines`. */
async function serve(level: pino.LevelWithSilent, options: { slowMs?: number } = {}) {
  const { lines, sink } = logSink();
  const log = pino({ level }, sink);
  const app = express();
  app.use(requestContext({ log, ...options }));
  app.get("/ok", (_req, res) => void res.json({ ok: true }));
  app.get("/missing", (_req, res) => void res.status(404).json({ ok: false }));
  app.get("/broken", (_req, res) => void res.status(500).json({ ok: false }));
  app.get("/noisy", (req, res) => {
    requestLog(req, log).info({ step: 1 }, "inside the handler");
    res.json({ ok: true });
  });
  // Answers after a timer: slower than a slowMs of 5.
  app.get("/slow", (_req, res) => void setTimeout(() => res.json({ ok: true }), 30));
  app.get("/healthz", (_req, res) => void res.status(500).json({ ok: false }));
  const served = await listen(app);
  close = served.close;
  return { url: served.url, lines };
}

describe("request context", () => {
  it("takes a safe x-request-id from the request and sends it back; otherwise makes a UUID", async () => {
    const { url } = await serve("silent");
    expect((await fetch(`${url}/ok`, { headers: { "x-request-id": "abc_DEF-123" } })).headers.get("x-request-id")).toBe("abc_DEF-123");
    for (const unsafe of ["has space", "a".repeat(65), "line\\nbreak", 'quote"']) {
      const id = (await fetch(`${url}/ok`, { headers: { "x-request-id": unsafe } })).headers.get("x-request-id");
      expect(id, unsafe).toMatch(UUID);
    }
    const first = (await fetch(`${url}/ok`)).headers.get("x-request-id");
    const second = (await fetch(`${url}/ok`)).headers.get("x-request-id");
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
  });

  it("logs a served request at debug, a 4xx at warn and a 5xx at error, with its id, method, path and status", async () => {
    const { url, lines } = await serve("debug");
    await fetch(`${url}/ok?input=${encodeURIComponent('{"secret":"rc-query-secret"}')}`, { headers: { "x-request-id": "req-ok" } });
    await fetch(`${url}/missing`, { headers: { "x-request-id": "req-missing" } });
    await fetch(`${url}/broken`, { headers: { "x-request-id": "req-broken" } });
    await until("three request lines", () => lines.length >= 3);
    const byId = (id: string) => lines.find((line) => line.reqId === id);
    expect(byId("req-ok")).toMatchObject({
      level: LEVEL.debug,
      msg: "request completed",
      req: { method: "GET", url: "/ok" },
      res: { statusCode: 200 },
    });
    expect(byId("req-ok")?.responseTime).toBeTypeOf("number");
    expect(byId("req-missing")).toMatchObject({ level: LEVEL.warn, msg: "request completed", res: { statusCode: 404 } });
    expect(byId("req-broken")).toMatchObject({ level: LEVEL.error, msg: "request errored", res: { statusCode: 500 } });
    // The path only: a query string (tRPC inputs) may carry anything a client sent.
    expect(JSON.stringify(lines)).not.toContain("rc-query-secret");
  });

  it("at info, served requests write no line while failures still do", async () => {
    const { url, lines } = await serve("info");
    for (let i = 0; i < 5; i++) await fetch(`${url}/ok`);
    await fetch(`${url}/missing`, { headers: { "x-request-id": "req-after" } });
    await until("the 404's line", () => lines.some((line) => line.reqId === "req-after"));
    expect(lines.filter((line) => line.res?.statusCode === 200)).toEqual([]);
  });

  it("logs a slow request at warn even when it succeeded", async () => {
    const { url, lines } = await serve("warn", { slowMs: 5 });
    await fetch(`${url}/slow`, { headers: { "x-request-id": "req-slow" } });
    await until("the slow line", () => lines.some((line) => line.reqId === "req-slow"));
    const line = lines.find((entry) => entry.reqId === "req-slow");
    expect(line).toMatchObject({ level: LEVEL.warn, res: { statusCode: 200 } });
    expect(line?.responseTime).toBeGreaterThan(5);
  });

  it("gives handlers a logger that carries the request id", async () => {
    const { url, lines } = await serve("info");
    await fetch(`${url}/noisy`, { headers: { "x-request-id": "req-noisy" } });
    await until("the handler's line", () => lines.some((line) => line.msg === "inside the handler"));
    expect(lines.find((line) => line.msg === "inside the handler")).toMatchObject({ reqId: "req-noisy", level: LEVEL.info });
  });

  it("never logs probes, even when they fail", async () => {
    const { url, lines } = await serve("debug");
    await fetch(`${url}/healthz`);
    await fetch(`${url}/missing`, { headers: { "x-request-id": "req-marker" } });
    await until("the marker line", () => lines.some((line) => line.reqId === "req-marker"));
    expect(lines.filter((line) => line.req?.url === "/healthz")).toEqual([]);
  });
});
