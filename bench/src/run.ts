/**
 * `pnpm bench [--quick]`: runs every row against the local Redis (and the API
 * for rows 6, 10, 11 and 15), then writes BENCHMARKS.md and bench/results/ratios.svg.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { QUICK } from "./fixtures.js";
import { type RowReport, ratioChart, renderMarkdown } from "./report.js";
import { apiMix } from "./rows/api-mix.js";
import { apiThroughput } from "./rows/api-throughput.js";
import { codecs } from "./rows/codecs.js";
import { l1Hit } from "./rows/l1-hit.js";
import { l2Hits, missPath } from "./rows/l2.js";
import { l2Cpu } from "./rows/l2-cpu.js";
import { memoryBound } from "./rows/memory-bound.js";
import { pathCosts } from "./rows/path-costs.js";
import { stampede } from "./rows/stampede.js";
import { taggedHits } from "./rows/tagged-hits.js";
import { zipfHitRate } from "./rows/zipf-hit-rate.js";

const only = process.argv
  .find((arg) => arg.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",")
  .map(Number);
const want = (id: number) => !only || only.includes(id);

const rows: RowReport[] = [];
const started = Date.now();
const loadAtStart = loadavg();
const step = async (ids: number[], run: () => Promise<RowReport | RowReport[]>) => {
  if (!ids.some(want)) return;
  const t = Date.now();
  const result = await run();
  for (const row of Array.isArray(result) ? result : [result]) {
    rows.push(row);
    console.log(`#${row.id} ${row.title}: ${row.result}${row.met === undefined ? "" : row.met ? " (target met)" : " (TARGET MISSED)"}`);
  }
  console.log(`   (${((Date.now() - t) / 1000).toFixed(1)} s)`);
};

await step([1], l1Hit);
await step([2, 3], l2Hits);
await step([4], missPath);
await step([5], stampede);
await step([6], apiThroughput);
await step([7], codecs);
await step([8], zipfHitRate);
await step([9], memoryBound);
await step([10, 11], apiMix);
await step([12, 13], taggedHits);
await step([14], l2Cpu);
await step([15], pathCosts);
rows.sort((a, b) => a.id - b.id);

const root = fileURLToPath(new URL("../../", import.meta.url));
const versions = [
  "@hoard/cache and @hoard/api (this repo)",
  "express 5.3.0, @trpc/server 11.22.1, autocannon 9.0.0",
  "ioredis 6.0.0",
  "bentocache 1.6.1",
  "cache-manager 7.2.9",
  "lru-cache 11.5.3",
  "msgpackr 2.1.4",
];
const cpu = cpus()[0]?.model ?? "unknown CPU";
const command = `pnpm bench${QUICK ? " --quick" : ""}${only ? ` --only=${only.join(",")}` : ""}`;
const machine = [
  `${cpus().length} x ${cpu}`,
  `${Math.round(totalmem() / 1024 ** 3)} GiB memory`,
  `Node ${process.version}, ${process.platform} ${process.arch}`,
  "Redis 7 on loopback (shared with nothing else during the run)",
  `run took ${Math.round((Date.now() - started) / 1000)} s on ${new Date().toISOString()}`,
  `load average (1, 5, 15 min) at the start: ${loadAtStart.map((value) => value.toFixed(2)).join(", ")}; at the end: ${loadavg()
    .map((value) => value.toFixed(2))
    .join(", ")}`,
];
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/ratios.svg`, ratioChart(rows));
writeFileSync(`${root}BENCHMARKS.md`, renderMarkdown({ command, machine, versions }, rows));
console.log(`wrote BENCHMARKS.md and bench/results/ratios.svg in ${Math.round((Date.now() - started) / 1000)} s`);
