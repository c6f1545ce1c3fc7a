import { jsonCodec, msgpackCodec } from "@hoard/cache";
import { largeObject, profile, scale } from "../fixtures.js";
import { formatNumber, interleave, nsPerOp, spread } from "../harness.js";
import type { RowReport } from "../report.js";

/** Row 7: encode + decode of a profile and of a ~10 kB object, JSON vs MessagePack. */
export async function codecs(): Promise<RowReport> {
  const codecsUnderTest = [jsonCodec, msgpackCodec(), msgpackCodec({ records: true })];
  const table = ["| value | codec | bytes | encode+decode ns median (min–max) | vs JSON |", "|---|---|---|---|---|"];
  const notes: string[] = [];
  for (const [label, value, iterations] of [
    ["profile", profile(1), scale(50_000, 10_000)],
    ["10 kB object", largeObject(1), scale(5_000, 1_000)],
  ] as const) {
    const results = await interleave(
      codecsUnderTest.map((codec) => ({ name: codec.name, measure: () => nsPerOp(iterations, () => codec.decode(codec.encode(value))) })),
      scale(7, 4),
    );
    const json = results[0]?.median ?? 1;
    results.forEach((m, i) => {
      const bytes = (codecsUnderTest[i] as (typeof codecsUnderTest)[number]).encode(value).length;
      table.push(`| ${label} | ${m.name} | ${bytes} | ${spread(m)} | ${formatNumber(m.median / json, 2)}x |`);
    });
    const fastest = results.reduce((a, b) => (b.median < a.median ? b : a));
    notes.push(`${label}: fastest is ${fastest.name}.`);
  }
  notes.push(
    "Default: JSON. It is readable in redis-cli and needs no shared schema; MessagePack is the choice for large values or when Dates must survive (`codec: msgpackCodec()`).",
  );
  return { id: 7, title: "Codecs: encode + decode (ns)", table, target: "report; choose the default from it", result: "see table", notes };
}
