import { forkCompiled, REDIS_URL, RUN_PREFIX, scale } from "../fixtures.js";
import { formatNumber, percentile, summarize } from "../harness.js";
import type { RowReport } from "../report.js";

const PROCESSES = 4;
const CONCURRENCY = 250;
const LOADER_MS = 100;

async function runStampede(side: "hoard" | "bentocache", mode: string, key: string): Promise<{ loads: number; p99: number; max: number }> {
  const children = Array.from({ length: PROCESSES }, () => forkCompiled("probes/stampede-worker"));
  const nextMessage = (child: (typeof children)[number]) =>
    new Promise<Record<string, unknown>>((resolve) => child.once("message", resolve));
  const ready = children.map(nextMessage);
  for (const child of children)
    child.send({ side, mode, key, prefix: `${RUN_PREFIX}-${side}`, redisUrl: REDIS_URL, concurrency: CONCURRENCY, loaderMs: LOADER_MS });
  await Promise.all(ready);
  const done = children.map(nextMessage);
  for (const child of children) child.send("go");
  const results = (await Promise.all(done)) as { loads: number; latencies: number[] }[];
  const latencies = results.flatMap((r) => r.latencies);
  return { loads: results.reduce((sum, r) => sum + r.loads, 0), p99: percentile(latencies, 0.99), max: Math.max(...latencies) };
}

/** Row 5: 4 processes x 250 concurrent reads of one cold key, loader 100 ms. */
export async function stampede(): Promise<RowReport> {
  const sides = [
    ["hoard", "none", "hoard, protection none"],
    ["hoard", "local", "hoard, protection local"],
    ["hoard", "distributed", "hoard, protection distributed"],
    ["bentocache", "default", "bentocache 1.6.1 (memory + redis + bus)"],
  ] as const;
  // Each side runs several times, in rotating order; the table gives the median p99 and the most loader calls seen.
  const samples = sides.map(() => [] as { loads: number; p99: number; max: number }[]);
  const rounds = scale(3, 1);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const index = (round + k) % sides.length;
      const [side, mode] = sides[index] as (typeof sides)[number];
      samples[index]?.push(await runStampede(side, mode, `cold-${mode}-${round}-${Date.now()}`));
    }
  }
  const runs = sides.map(([, , name], i) => {
    const runsOfSide = samples[i] as { loads: number; p99: number; max: number }[];
    return {
      name,
      loads: Math.max(...runsOfSide.map((run) => run.loads)),
      p99: summarize(
        name,
        runsOfSide.map((run) => run.p99),
      ).median,
      max: Math.max(...runsOfSide.map((run) => run.max)),
    };
  });
  const distributed = runs[2] as (typeof runs)[number];
  const overhead = distributed.p99 - LOADER_MS;
  return {
    id: 5,
    title: "Stampede: 4 processes x 250 concurrent reads of a cold key, loader 100 ms",
    table: [
      "| side | loader calls (most in any run) | caller latency p99, median of runs (ms) | max (ms) |",
      "|---|---|---|---|",
      ...runs.map((run) => `| ${run.name} | ${run.loads} | ${formatNumber(run.p99, 1)} | ${formatNumber(run.max, 1)} |`),
    ],
    target: "1 loader call; every caller done within loader time + 10 ms (p99)",
    result: `${distributed.loads} loader call(s); p99 = loader + ${formatNumber(overhead, 1)} ms`,
    met: distributed.loads === 1 && overhead <= 10,
    notes: [
      "Latency is measured in each process from the moment it received the start signal; processes start within a few ms of each other.",
    ],
  };
}
