import type { RequestHandler } from "express";
import helmet from "helmet";

/**
 * Security headers on every response (helmet): a Content-Security-Policy the built admin UI works under
 * (its scripts and styles are files from this origin; no inline script, no eval), `frame-ancestors 'none'`
 * and `X-Frame-Options: DENY` (no framing, so no clickjacking), `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer`, and helmet's other defaults. `development` relaxes the CSP for `pnpm dev`:
 * Vite injects inline scripts (React refresh) and styles, and reloads over a WebSocket.
 */
export function securityHeaders(mode: "production" | "development" = "production"): RequestHandler {
  const dev = mode === "development";
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
        "style-src": dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": dev ? ["'self'", "ws:", "wss:"] : ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
      },
    },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    // Plain HTTP on localhost is the normal case here: HSTS would be for the TLS proxy in front to send.
    strictTransportSecurity: false,
  });
}
