import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { createServer as createViteServer, type ViteDevServer } from "vite";
import { roundRobinHandler } from "../cluster/round-robin-proxy.js";
import { PACKAGE_ROOT } from "../config.js";
import { securityHeaders } from "../http/security-headers.js";

/** The admin app's folder (its vite.config.ts and index.html). */
const ADMIN_ROOT = join(PACKAGE_ROOT, "..", "admin");
/** Paths the instances answer; everything else is the admin UI. */
const API_PATHS = /^\/(trpc|readyz|healthz|metrics)(\/|\?|$)/;

/**
 * `pnpm dev`'s entry point on PORT: API paths go round-robin to the instances, every other path is the real
 * admin UI from Vite in middleware mode (hot reload through its WebSocket on the same server).
 */
export async function startDevEntry(options: { port: number; host?: string; backends: () => string[] }): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const server: Server = createServer();
  const vite: ViteDevServer = await createViteServer({
    root: ADMIN_ROOT,
    configFile: join(ADMIN_ROOT, "vite.config.ts"),
    appType: "spa",
    logLevel: "warn",
    clearScreen: false,
    server: { middlewareMode: true, ws: { server } },
  });
  const api = roundRobinHandler(options.backends);
  // The instances send their own headers; the UI from Vite gets the same ones, with the CSP relaxed for
  // what Vite needs in development (React refresh's inline script, injected styles, its WebSocket).
  const headers = securityHeaders("development");
  server.on("request", (incoming, outgoing) => {
    if (API_PATHS.test(incoming.url ?? "/")) api(incoming, outgoing);
    else headers(incoming, outgoing, () => vite.middlewares(incoming, outgoing));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    url: `http://127.0.0.1:${options.port}`,
    close: async () => {
      await vite.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
