/** The round-robin entry point of the mixed-workload benchmark, in a process of its own: `entry-point.ts <port> <backend url>...`. */
import { startRoundRobinProxy } from "@hoard/api";

const [port, ...backends] = process.argv.slice(2);
const entry = await startRoundRobinProxy({ port: Number(port), backends: () => backends });
process.send?.({ url: entry.url });
process.on("SIGTERM", () => void entry.close().then(() => process.exit(0)));
