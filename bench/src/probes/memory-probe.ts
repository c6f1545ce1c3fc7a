/** Fills an L1 bounded to 64 MB with 1M distinct profiles and prints the heap growth as JSON (run with --expose-gc). */
import { createCache } from "@hoard/cache";
import { profile } from "../fixtures.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const quick = process.argv.includes("--quick");
// Quick mode scales keys and bound down together (same keys-per-bound ratio).
const keyCount = quick ? 125_000 : 1_000_000;
const boundMb = quick ? 8 : 64;
const boundBytes = boundMb * 1024 * 1024;
const cache = createCache({
  redis: false,
  l1: { maxEntries: 10_000_000, maxBytes: boundBytes },
  defaults: { ttlMs: 3_600_000, earlyRefreshBeta: 0 },
});
const ns = cache.namespace<ReturnType<typeof profile>>("mem");
gc();
const before = process.memoryUsage().heapUsed;
for (let id = 0; id < keyCount; id++) await ns.getOrSet(id, async () => profile(id));
gc();
gc();
const after = process.memoryUsage().heapUsed;
const stats = cache.stats().l1;
console.log(
  JSON.stringify({
    boundMb,
    keys: keyCount,
    growthMb: (after - before) / 1024 / 1024,
    entries: stats.entries,
    accountedMb: stats.bytes / 1024 / 1024,
  }),
);
