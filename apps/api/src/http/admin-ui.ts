import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Router } from "express";
import express from "express";
import { PACKAGE_ROOT } from "../config.js";

/** Where `apps/admin` builds to. */
export const ADMIN_DIST = join(PACKAGE_ROOT, "..", "admin", "dist");

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hoard API</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Hoard API</h1>
<p>The admin UI is not built yet (<code>apps/admin/dist</code> is missing). The API is up:</p>
<ul>
<li><a href="/healthz">/healthz</a> (liveness), <a href="/readyz">/readyz</a> (Postgres and Redis), <a href="/metrics">/metrics</a> (Prometheus)</li>
<li><code>/trpc</code>: try <a href="/trpc/user.list?input=%7B%22limit%22%3A5%7D">user.list</a></li>
</ul>
</body></html>`;

/** Serves the built admin UI at `/`, or a placeholder page when it is not built. */
export function adminUi(distDir = ADMIN_DIST): Router {
  const routes = express.Router();
  const index = join(distDir, "index.html");
  if (existsSync(index)) {
    // The admin routes in the URL fragment (`/#/users`), so `/` and its assets are all it needs: other paths stay 404.
    // Assets have content hashes in their names; index.html must be revalidated or a rebuild leaves tabs on missing assets.
    routes.use(
      express.static(distDir, {
        index: "index.html",
        maxAge: "1h",
        setHeaders: (res, path) => {
          if (path.endsWith(".html")) res.setHeader("Cache-Control", "no-cache");
        },
      }),
    );
  } else {
    routes.get("/", (_req, res) => {
      res.type("html").send(PLACEHOLDER);
    });
  }
  return routes;
}
