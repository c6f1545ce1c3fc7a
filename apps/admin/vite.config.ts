import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `pnpm dev` serves the UI with hot reload and forwards API calls to a running API
// (`pnpm --filter @hoard/api dev`), on API_PORT (default 3000, the API's own default).
const apiPort = Number(process.env.API_PORT ?? 3000);
const api = { target: `http://127.0.0.1:${apiPort}`, changeOrigin: false };

export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/trpc": api, "/readyz": api, "/healthz": api } },
  preview: { proxy: { "/trpc": api, "/readyz": api, "/healthz": api } },
  // No source maps in the build the API serves: production answers with the bundle only.
  build: { outDir: "dist", sourcemap: false },
});
