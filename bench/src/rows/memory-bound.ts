import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { QUICK } from "../fixtures.js";
import { formatNumber } from "../harness.js";
import type { RowReport } from "../report.js";

const PROBE = fileURLToPath(new URL("../probes/memory-probe.ts", import.meta.url));

/** Row 9: heap growth of an L1 bounded to 64 MB after 1M distinct keys (measured in a fresh process with --expose-gc). */
export async function memoryBound(): Promise<RowReport> {
  const output = execFileSync(
    process.execPath,
    ["--expose-gc", "--max-old-space-size=4096", "--conditions=source", "--import", "tsx", PROBE, ...(QUICK ? ["--quick"] : [])],
    {
      encoding: "utf8",
      env: { ...process.env },
    },
  );
  const result = JSON.parse(output.trim().split("\n").pop() as string) as {
    boundMb: number;
    keys: number;
    growthMb: number;
    entries: number;
    accountedMb: number;
  };
  const ratio = result.growthMb / result.boundMb;
  return {
    id: 9,
    title: `Memory: L1 bounded to ${result.boundMb} MB, ${result.keys.toLocaleString("en-US")} distinct keys`,
    table: [
      "| bound | keys written | entries kept | bytes accounted | heap growth | growth / bound |",
      "|---|---|---|---|---|---|",
      `| ${result.boundMb} MB | ${result.keys.toLocaleString("en-US")} | ${result.entries.toLocaleString("en-US")} | ${formatNumber(result.accountedMb, 1)} MB | ${formatNumber(result.growthMb, 1)} MB | ${formatNumber(ratio, 2)}x |`,
    ],
    target: "heap growth <= 1.25x the bound",
    result: `${formatNumber(ratio, 2)}x the bound`,
    met: ratio <= 1.25,
    bars: [{ label: "heap growth / L1 byte bound", ratio }],
  };
}
