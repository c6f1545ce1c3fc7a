/**
 * One API instance of the mixed-workload benchmark: the built API (apps/api/dist,
 * started without the `source` condition) with the read/write path that
 * `CACHE_STRATEGY` names (none | recipe | bentocache | hoard; default hoard, which
 * is the API exactly as shipped). Every other variable is the API's own.
 */
import { loadConfig, startApi } from "@hoard/api";
import { REPLACEMENTS, STRATEGIES, type Strategy } from "./strategies.js";

const strategy = (process.env.CACHE_STRATEGY ?? "hoard") as Strategy;
if (!STRATEGIES.includes(strategy)) {
  console.error(`CACHE_STRATEGY: use one of ${STRATEGIES.join(", ")} (got "${strategy}")`);
  process.exit(1);
}
const replacement = REPLACEMENTS[strategy];
const api = await startApi(loadConfig(), replacement ? { profiles: replacement } : {});
const stop = async () => {
  await api.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
