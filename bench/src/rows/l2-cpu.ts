import { createCache } from "@hoard/cache";
import { Redis } from "ioredis";
import { profile, REDIS_URL, RUN_PREFIX, scale } from "../fixtures.js";
import { formatNumber, interleave, spread, type summarize } from "../harness.js";
import type { RowReport } from "../report.js";

const HEADER_BYTES = 33;
const decodePayload = (bytes: Buffer | null) => (bytes ? JSON.parse(bytes.toString("utf8", HEADER_BYTES)) : null);

/**
 * CPU time (user + system, µs) per call of `op` over `ops` serial calls: the wall clock of an L2 hit is
 * mostly the loopback round trip, which hides a fixed CPU overhead; `process.cpuUsage` does not.
 */
async function cpuPerOp(ops: number, keyCount: number, op: (id: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < ops; i++) await op(i % keyCount);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ops;
}

/** Row 14: CPU time per serial L2 hit (L1 off), Hoard's getOrSet against raw ioredis GET + JSON.parse. */
export async function l2Cpu(): Promise<RowReport> {
  const hoard = createCache({ prefix: RUN_PREFIX, redis: REDIS_URL, l1: false });
  await hoard.ready();
  const users = hoard.namespace<ReturnType<typeof profile>>("l2cpu", { ttlMs: 600_000 });
  const keyCount = 1_000;
  for (let id = 0; id < keyCount; id++) await users.set(id, profile(id));
  const never = async () => {
    throw new Error("benchmark keys are always cached");
  };
  const raw = new Redis(REDIS_URL);
  const keyOf = (id: number) => `${RUN_PREFIX}:l2cpu:v1:{${id}}`;
  if (decodePayload(await raw.getBuffer(keyOf(1)))?.id !== 1) throw new Error("row 14: the raw side does not read Hoard's entries");

  const ops = scale(6_000, 1_500);
  const results = await interleave(
    [
      {
        name: "raw ioredis GET + JSON.parse",
        measure: () => cpuPerOp(ops, keyCount, async (id) => decodePayload(await raw.getBuffer(keyOf(id)))),
      },
      { name: "hoard getOrSet (L1 off, L2 hit)", measure: () => cpuPerOp(ops, keyCount, (id) => users.getOrSet(id, never)) },
    ],
    scale(11, 5),
  );
  await users.clear();
  await hoard.close();
  raw.disconnect();

  const [rawM, hoardM] = results as [ReturnType<typeof summarize>, ReturnType<typeof summarize>];
  const ratio = hoardM.median / rawM.median;
  return {
    id: 14,
    title: "CPU time per L2 hit, L1 off, serial (µs of user + system CPU per call, median of rounds)",
    table: ["| side | CPU µs/op median (min–max) |", "|---|---|", ...results.map((m) => `| ${m.name} | ${spread(m, 1)} |`)],
    target: "<= 1.25x raw (the round trip hides CPU overhead from rows 2 and 3; this row does not)",
    result: `${formatNumber(ratio, 2)}x raw`,
    met: ratio <= 1.25,
    bars: [{ label: "L2 hit CPU / raw GET + JSON.parse", ratio }],
  };
}
