import { createCache } from "@hoard/cache";
import { Redis } from "ioredis";
import { profile, REDIS_URL, RUN_PREFIX, scale } from "../fixtures.js";
import { formatNumber, interleave, percentile, serialP50, spread, type summarize } from "../harness.js";
import type { RowReport } from "../report.js";

const HEADER_BYTES = 33;
const decodePayload = (bytes: Buffer | null) => (bytes ? JSON.parse(bytes.toString("utf8", HEADER_BYTES)) : null);

/** Rows 2 and 3: L2 hits with L1 off, serially and with 100 concurrent callers, against raw ioredis. */
export async function l2Hits(): Promise<RowReport[]> {
  const hoard = createCache({ prefix: RUN_PREFIX, redis: REDIS_URL, l1: false });
  await hoard.ready();
  const users = hoard.namespace<ReturnType<typeof profile>>("l2user", { ttlMs: 600_000 });
  const keyCount = 1_000;
  for (let id = 0; id < keyCount; id++) await users.set(id, profile(id));
  const never = async () => {
    throw new Error("benchmark keys are always cached");
  };
  const raw = new Redis(REDIS_URL);
  const rawPipelined = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const keyOf = (id: number) => `${RUN_PREFIX}:l2user:v1:{${id}}`;

  // Row 2: serial latency, p50 per round.
  const serialOps = scale(4_000, 1_000);
  const serial = (op: (id: number) => Promise<unknown>) => serialP50(serialOps, keyCount, op);
  const serialResults = await interleave(
    [
      { name: "raw ioredis GET + JSON decode", measure: () => serial(async (id) => decodePayload(await raw.getBuffer(keyOf(id)))) },
      { name: "hoard getOrSet (L1 off, L2 hit)", measure: () => serial((id) => users.getOrSet(id, never)) },
    ],
    scale(7, 4),
  );

  // Row 3: throughput with 100 callers in flight.
  const concurrentOps = scale(40_000, 10_000);
  const throughput = async (op: (id: number) => Promise<unknown>) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < concurrentOps) await op(next++ % keyCount);
      }),
    );
    return concurrentOps / ((performance.now() - started) / 1_000);
  };
  const concurrentResults = await interleave(
    [
      {
        name: "raw ioredis GET + JSON decode, auto-pipelined",
        measure: () => throughput(async (id) => decodePayload(await rawPipelined.getBuffer(keyOf(id)))),
      },
      { name: "hoard getOrSet (L1 off, L2 hit)", measure: () => throughput((id) => users.getOrSet(id, never)) },
    ],
    scale(7, 4),
  );
  await users.clear();
  await hoard.close();
  raw.disconnect();
  rawPipelined.disconnect();

  const [rawSerial, hoardSerial] = serialResults as [ReturnType<typeof summarize>, ReturnType<typeof summarize>];
  const [rawConcurrent, hoardConcurrent] = concurrentResults as [ReturnType<typeof summarize>, ReturnType<typeof summarize>];
  const serialRatio = hoardSerial.median / rawSerial.median;
  const concurrentRatio = hoardConcurrent.median / rawConcurrent.median;
  return [
    {
      id: 2,
      title: "L2 hit, L1 off, serial latency (µs, p50 per round)",
      table: ["| side | p50 µs median (min–max) |", "|---|---|", ...serialResults.map((m) => `| ${m.name} | ${spread(m, 1)} |`)],
      target: "p50 <= 1.1x raw",
      result: `${formatNumber(serialRatio, 2)}x raw`,
      met: serialRatio <= 1.1,
      bars: [{ label: "L2 hit serial p50 / raw", ratio: serialRatio }],
    },
    {
      id: 3,
      title: "L2 hit, 100 concurrent callers, throughput (ops/s)",
      table: ["| side | ops/s median (min–max) |", "|---|---|", ...concurrentResults.map((m) => `| ${m.name} | ${spread(m)} |`)],
      target: ">= 0.9x raw auto-pipelined",
      result: `${formatNumber(concurrentRatio, 2)}x raw auto-pipelined`,
      met: concurrentRatio >= 0.9,
      bars: [{ label: "L2 hit throughput / raw pipelined", ratio: concurrentRatio }],
    },
  ];
}

/** Row 4: the miss path (load + fill, with lock and lease) against a raw GET miss + SET. */
export async function missPath(): Promise<RowReport> {
  const hoard = createCache({ prefix: RUN_PREFIX, redis: REDIS_URL, l1: false, defaults: { earlyRefreshBeta: 0 } });
  await hoard.ready();
  const distributed = hoard.namespace<ReturnType<typeof profile>>("miss", { ttlMs: 600_000, protection: "distributed" });
  const local = hoard.namespace<ReturnType<typeof profile>>("missl", { ttlMs: 600_000, protection: "local" });
  const raw = new Redis(REDIS_URL);
  const value = profile(1);
  const loader = async () => value;
  let sequence = 0;
  const ops = scale(3_000, 800);
  const serial = async (op: (n: number) => Promise<unknown>) => {
    const latencies: number[] = [];
    for (let i = 0; i < ops; i++) {
      const n = sequence++;
      const started = process.hrtime.bigint();
      await op(n);
      latencies.push(Number(process.hrtime.bigint() - started) / 1_000);
    }
    return percentile(latencies, 0.5);
  };
  const results = await interleave(
    [
      {
        name: "raw GET (miss) + SET",
        measure: () =>
          serial(async (n) => {
            const key = `${RUN_PREFIX}:rawmiss:${n}`;
            if ((await raw.getBuffer(key)) === null) await raw.set(key, JSON.stringify(await loader()), "PX", 600_000);
          }),
      },
      {
        name: "hoard getOrSet miss, protection local (GET + lease + fenced fill)",
        measure: () => serial((n) => local.getOrSet(n, loader)),
      },
      {
        name: "hoard getOrSet miss, protection distributed (GET + lock/lease + fenced fill)",
        measure: () => serial((n) => distributed.getOrSet(n, loader)),
      },
    ],
    scale(7, 4),
  );
  await distributed.clear();
  await local.clear();
  let cursor = "0";
  do {
    const [next, keys] = await raw.scan(cursor, "MATCH", `${RUN_PREFIX}:rawmiss:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await raw.unlink(...keys);
  } while (cursor !== "0");
  await hoard.close();
  raw.disconnect();
  const [rawM, localM, distributedM] = results as [
    ReturnType<typeof summarize>,
    ReturnType<typeof summarize>,
    ReturnType<typeof summarize>,
  ];
  return {
    id: 4,
    title: "Miss path: load + fill (µs, p50 per round)",
    table: [
      "| side | round trips | p50 µs median (min–max) | vs raw |",
      "|---|---|---|---|",
      `| ${rawM.name} | 2 | ${spread(rawM, 1)} | 1.00x |`,
      `| ${localM.name} | 3 | ${spread(localM, 1)} | ${formatNumber(localM.median / rawM.median, 2)}x |`,
      `| ${distributedM.name} | 3 | ${spread(distributedM, 1)} | ${formatNumber(distributedM.median / rawM.median, 2)}x |`,
    ],
    target: "report the ratio; lock + lease add at most 2 round trips",
    result: `${formatNumber(distributedM.median / rawM.median, 2)}x raw with lock + lease: one round trip more than raw (the lock and lease are taken in one script; the fill, lock release and bus message are one script)`,
    met: true,
    bars: [{ label: "miss (lock + lease) / raw GET+SET", ratio: distributedM.median / rawM.median }],
  };
}
