import { createCache } from "@hoard/cache";
import { profile, REDIS_URL, RUN_PREFIX, scale } from "../fixtures.js";
import { formatNumber, interleave, nsPerOp, serialP50, spread, type summarize } from "../harness.js";
import type { RowReport } from "../report.js";

type Summary = ReturnType<typeof summarize>;

/**
 * Rows 12 and 13: a tagged entry against an untagged one, for an L1 hit (built as row 1) and an L2 hit with
 * L1 off (built as row 2). The tags' state is known in the process (read once, then kept current by the bus),
 * so neither hit does any work for its tags.
 */
export async function taggedHits(): Promise<RowReport[]> {
  const value = profile(1);
  const hoard = createCache({ prefix: RUN_PREFIX, redis: REDIS_URL });
  await hoard.ready();
  const users = hoard.namespace<typeof value>("tagl1", { ttlMs: 600_000 });
  const loader = async () => value;
  await users.getOrSet(1, loader);
  await users.getOrSet(2, loader, { tags: ["users", "users:list"] });
  const iterations = scale(300_000, 60_000);
  const l1 = await interleave(
    [
      { name: "hoard getOrSet (L1 hit, untagged)", measure: () => nsPerOp(iterations, () => users.getOrSet(1, loader)) },
      {
        name: "hoard getOrSet (L1 hit, 2 tags)",
        measure: () => nsPerOp(iterations, () => users.getOrSet(2, loader, { tags: ["users", "users:list"] })),
      },
    ],
    scale(9, 5),
  );
  await users.clear();
  await hoard.close();

  const l2cache = createCache({ prefix: RUN_PREFIX, redis: REDIS_URL, l1: false });
  await l2cache.ready();
  const l2users = l2cache.namespace<typeof value>("tagl2", { ttlMs: 600_000 });
  const keyCount = 1_000;
  for (let id = 0; id < keyCount; id++) {
    await l2users.set(id, profile(id));
    await l2users.set(keyCount + id, profile(id), { tags: ["users", "users:list"] });
  }
  const never = async () => {
    throw new Error("benchmark keys are always cached");
  };
  const serialOps = scale(4_000, 1_000);
  const serial = (op: (id: number) => Promise<unknown>) => serialP50(serialOps, keyCount, op);
  const l2 = await interleave(
    [
      { name: "hoard getOrSet (L1 off, L2 hit, untagged)", measure: () => serial((id) => l2users.getOrSet(id, never)) },
      { name: "hoard getOrSet (L1 off, L2 hit, 2 tags)", measure: () => serial((id) => l2users.getOrSet(keyCount + id, never)) },
    ],
    scale(7, 4),
  );
  await l2users.clear();
  await l2cache.close();

  const [l1Plain, l1Tagged] = l1 as [Summary, Summary];
  const [l2Plain, l2Tagged] = l2 as [Summary, Summary];
  const l1Ratio = l1Tagged.median / l1Plain.median;
  const l2Ratio = l2Tagged.median / l2Plain.median;
  return [
    {
      id: 12,
      title: "L1 hit of a tagged entry vs an untagged one (ns/op)",
      table: ["| side | ns/op median (min–max) |", "|---|---|", ...l1.map((m) => `| ${m.name} | ${spread(m)} |`)],
      target: "tagged <= 1.1x untagged (the same hit path: tags are only looked at when an entry enters or leaves L1)",
      result: `${formatNumber(l1Ratio, 2)}x untagged`,
      met: l1Ratio <= 1.1,
      bars: [{ label: "tagged / untagged L1 hit", ratio: l1Ratio }],
    },
    {
      id: 13,
      title: "L2 hit of a tagged entry vs an untagged one, L1 off, serial latency (µs, p50 per round)",
      table: ["| side | p50 µs median (min–max) |", "|---|---|", ...l2.map((m) => `| ${m.name} | ${spread(m, 1)} |`)],
      target: "tagged <= 1.1x untagged (no extra round trip while the tags' state is known here)",
      result: `${formatNumber(l2Ratio, 2)}x untagged`,
      met: l2Ratio <= 1.1,
      bars: [{ label: "tagged / untagged L2 hit", ratio: l2Ratio }],
    },
  ];
}
