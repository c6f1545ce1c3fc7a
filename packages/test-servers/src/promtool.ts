import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Where `.ci/run` unpacks Debian's prometheus package (`apt-get download prometheus && dpkg-deb -x`). */
export const PROMTOOL_SCRATCH = "/tmp/promtool/usr/bin/promtool";

/** How to get promtool, for a skip message. */
export const PROMTOOL_HOWTO = `promtool not found: set PROMTOOL, put it on PATH, or unpack it to ${PROMTOOL_SCRATCH} (apt-get download prometheus && dpkg-deb -x prometheus_*.deb /tmp/promtool)`;

/** promtool from $PROMTOOL, the scratch folder .ci/run fills, /usr/bin, or PATH; undefined when absent. */
export function findPromtool(): string | undefined {
  const candidates = [process.env.PROMTOOL, PROMTOOL_SCRATCH, "/usr/bin/promtool"].filter(Boolean) as string[];
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  const which = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" });
  return which.status === 0 && which.stdout.trim() !== "" ? which.stdout.trim() : undefined;
}

/** `promtool check metrics` over an exposition: its exit status and every line it printed. */
export function checkMetrics(promtool: string, exposition: string): { status: number | null; findings: string[] } {
  const result = spawnSync(promtool, ["check", "metrics"], { input: exposition, encoding: "utf8" });
  const findings = `${result.stdout}${result.stderr}`
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  return { status: result.status, findings };
}

/** promtool, or undefined after printing why and calling `skip` (a vitest test context's `skip`). */
export function promtoolOrSkip(skip: (note: string) => void): string | undefined {
  const promtool = findPromtool();
  if (promtool) return promtool;
  console.log(`skipped: ${PROMTOOL_HOWTO}`);
  skip(PROMTOOL_HOWTO);
  return undefined;
}
