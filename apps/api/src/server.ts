/**
 * Entry point: `node dist/server.js` (pnpm start) or `tsx watch src/server.ts` (pnpm dev).
 * Reads the environment once, starts the instance, stops it on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from "./config.js";
import { portIsFree } from "./dev/ports.js";

try {
  const config = loadConfig();
  if (config.port !== 0 && !(await portIsFree(config.port, config.host))) {
    console.error(`Port ${config.port} is already in use: stop what holds it, or run with PORT=<another port>.`);
    process.exit(1);
  }
  // The OpenTelemetry SDK (about 0.4 s of module loading) is loaded only when an endpoint is set.
  const telemetry = config.telemetry ? (await import("./telemetry.js")).startTelemetry(config.telemetry) : undefined;
  // Imported only now: the instrumentations patch express and pg as start.ts's imports load them.
  const { startApi } = await import("./start.js");
  let generatedToken: string | undefined;
  const api = await startApi(config, { revealAdminToken: (token) => (generatedToken = token) });
  if (generatedToken) {
    // Printed once to the terminal, never through the logger; the token sits in the URL fragment,
    // which browsers do not send to the server, so it never lands in access logs either.
    process.stdout.write(
      `\n  ADMIN_TOKEN was not set; this run's admin login:\n  ${api.url.replace("127.0.0.1", "localhost")}/#token=${generatedToken}\n\n`,
    );
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    api.services.log.info({ signal }, "shutting down");
    await api.close();
    // Sends the spans still batched before exiting.
    await telemetry?.shutdown();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (error) {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error("hoard api failed to start:", error);
  process.exit(1);
}
