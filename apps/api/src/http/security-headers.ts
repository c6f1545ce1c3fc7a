import type { IncomingMessage, ServerResponse } from "node:http";
import helmet from "helmet";

/** A middleware that works under Express and under a bare `node:http` handler (the dev entry point). */
export type HeaderMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Security headers on every response (helmet): a Content-Security-Policy the built admin UI works under
 * (its scripts and styles are files from this origin; no inline script, no eval), `frame-ancestors 'none'`
 * and `X-Frame-Options: DENY` (no framing, so no clickjacking), `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer`, and helmet's other defaults. `development` relaxes the CSP for `pnpm dev`:
 * Vite injects inline scripts (React refresh) and styles, and reloads over a WebSocket.
 *
 * None of these headers depends on the request, so helmet runs once, here, and every request gets the
 * headers it set (one `setHeader` each) instead of helmet's chain of a dozen middlewares.
 */
export function securityHeaders(mode: "production" | "development" = "production"): HeaderMiddleware {
  const setHeaders = securityHeaderSetter(mode);
  return (_req, res, next) => {
    setHeaders(res);
    next();
  };
}

/** What `securityHeaders` does to each response, for a layer that does more than set them (the API's request entry). */
export function securityHeaderSetter(mode: "production" | "development" = "production"): (res: ServerResponse) => void {
  const headers = Object.entries(helmetHeaders(mode));
  return (res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
  };
}

/** The headers helmet sets with this app's options, by name (as helmet spells it). */
export function helmetHeaders(mode: "production" | "development" = "production"): Record<string, string> {
  const dev = mode === "development";
  const middleware = helmet({
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
  const headers: Record<string, string> = {};
  let failure: unknown;
  // helmet only sets and removes headers (X-Powered-By, which the app disables anyway); it calls next synchronously.
  const recorder = {
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
    removeHeader: () => {},
  } as unknown as ServerResponse;
  middleware({ headers: {} } as IncomingMessage, recorder, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return headers;
}
