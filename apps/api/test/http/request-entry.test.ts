import express from "express";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ApiMetrics } from "../../src/http/metrics.js";
import { requestEntry } from "../../src/http/request-entry.js";
import { helmetHeaders } from "../../src/http/security-headers.js";
import { listen, logSink } from "../support/express-app.js";
import { until } from "../support/poll.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** An app with the request entry in front of a few routes (one mounted, as /trpc is), logging JSON lines into `lines`. */
async function serve() {
  const { lines, sink } = logSink();
  const metrics = new ApiMetrics();
  const app = express();
  app.disable("x-powered-by");
  app.use(requestEntry({ log: pino({ level: "debug" }, sink), durations: metrics.httpDurations(["user.byId"]) }));
  // Mounted: the router rewrites req.url while it handles the request, as it does for /trpc.
  const trpc = express.Router();
  trpc.get("/user.byId", (_req, res) => void res.json({ ok: true }));
  app.use("/trpc", trpc);
  app.get("/healthz", (_req, res) => void res.json({ ok: true }));
  // Never answers: the client gives up first.
  let hanging = 0;
  app.get("/hang", () => void hanging++);
  const served = await listen(app);
  close = served.close;
  return { url: served.url, lines, metrics, hanging: () => hanging };
}

/** The sample count of one series of the HTTP duration histogram, as /metrics would show it. */
async function count(metrics: ApiMetrics, labels: { method: string; route: string; status: string }): Promise<number> {
  const { values } = await metrics.httpDuration.get();
  const found = values.find(
    (value) =>
      value.metricName === "hoard_http_request_duration_seconds_count" &&
      value.labels.method === labels.method &&
      value.labels.route === labels.route &&
      String(value.labels.status) === labels.status,
  );
  return found?.value ?? 0;
}

describe("request entry (headers, request id and log, duration metric in one layer)", () => {
  it("sends every security header and the request id, logs the line and records the duration under the procedure's route", async () => {
    const { url, lines, metrics } = await serve();
    const response = await fetch(`${url}/trpc/user.byId?input=${encodeURIComponent('{"id":1}')}`, {
      headers: { "x-request-id": "entry-1" },
    });
    expect(response.status).toBe(200);
    for (const [name, value] of Object.entries(helmetHeaders())) expect(response.headers.get(name), name).toBe(value);
    expect(response.headers.get("x-request-id")).toBe("entry-1");
    await until("the request's line", () => lines.some((line) => line.reqId === "entry-1"));
    expect(lines.find((line) => line.reqId === "entry-1")).toMatchObject({
      msg: "request completed",
      req: { method: "GET", url: "/trpc/user.byId" },
      res: { statusCode: 200 },
    });
    await until("the observation", async () => (await count(metrics, { method: "GET", route: "/trpc/user.byId", status: "200" })) === 1);
  });

  it("unknown paths share one route label, and probes are measured but not logged", async () => {
    const { url, lines, metrics } = await serve();
    await fetch(`${url}/trpc/nope`);
    await fetch(`${url}/healthz`);
    await fetch(`${url}/elsewhere`, { headers: { "x-request-id": "entry-marker" } });
    await until("the marker line", () => lines.some((line) => line.reqId === "entry-marker"));
    await until("three observations", async () => {
      const counts = await Promise.all([
        count(metrics, { method: "GET", route: "/trpc/(other)", status: "404" }),
        count(metrics, { method: "GET", route: "/healthz", status: "200" }),
        count(metrics, { method: "GET", route: "(other)", status: "404" }),
      ]);
      return counts.every((value) => value === 1);
    });
    expect(lines.filter((line) => line.req?.url === "/healthz")).toEqual([]);
  });

  it("a request the client aborted is logged as aborted and not recorded as a duration", async () => {
    const { url, lines, metrics, hanging } = await serve();
    const controller = new AbortController();
    const pending = fetch(`${url}/hang`, { headers: { "x-request-id": "entry-aborted" }, signal: controller.signal }).catch(
      () => undefined,
    );
    // The request must have reached the server before the client gives up.
    await until("the request to arrive", () => hanging() === 1);
    controller.abort();
    await pending;
    await until("the aborted line", () => lines.some((line) => line.reqId === "entry-aborted"));
    expect(lines.find((line) => line.reqId === "entry-aborted")?.msg).toBe("request aborted");
    const { values } = await metrics.httpDuration.get();
    expect(values.filter((value) => value.labels.route === "(other)")).toEqual([]);
  });
});
