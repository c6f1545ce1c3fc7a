import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { securityHeaders } from "../../src/http/security-headers.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** The headers a GET / answer carries through `middleware`, without the ones every Express answer has. */
async function headersThrough(middleware: express.RequestHandler): Promise<Record<string, string>> {
  const app = express();
  app.disable("x-powered-by");
  app.use(middleware);
  app.get("/", (_req, res) => void res.send("x"));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const common = new Set(["date", "connection", "keep-alive", "content-length", "content-type", "etag"]);
  return Object.fromEntries([...response.headers].filter(([name]) => !common.has(name)));
}

const HELMET_DEFAULTS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-dns-prefetch-control": "off",
  "x-download-options": "noopen",
  "x-frame-options": "DENY",
  "x-permitted-cross-domain-policies": "none",
  "x-xss-protection": "0",
};

describe("security headers (helmet's, computed once)", () => {
  it("production: exactly the headers helmet sent per request before, with the strict CSP", async () => {
    expect(await headersThrough(securityHeaders())).toEqual({
      ...HELMET_DEFAULTS,
      "content-security-policy":
        "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'",
    });
  });

  it("development: the same with inline scripts and styles and Vite's WebSocket allowed", async () => {
    expect(await headersThrough(securityHeaders("development") as express.RequestHandler)).toEqual({
      ...HELMET_DEFAULTS,
      "content-security-policy":
        "default-src 'self';script-src 'self' 'unsafe-inline';style-src 'self' 'unsafe-inline';img-src 'self' data:;font-src 'self';connect-src 'self' ws: wss:;object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'",
    });
  });
});
