/** One benchmark row's outcome, as written to BENCHMARKS.md. */
export interface RowReport {
  id: number;
  title: string;
  /** Markdown table (header line included). */
  table: string[];
  target: string;
  /** The figure compared with the target, e.g. "1.7x". */
  result: string;
  /** undefined when the row only reports. */
  met?: boolean;
  notes?: string[];
  /** Bars for the summary chart: label and ratio (1 = the reference side). */
  bars?: { label: string; ratio: number }[];
}

/** A horizontal bar chart of ratios as standalone SVG (no dependencies). */
export function ratioChart(rows: RowReport[]): string {
  const bars = rows.flatMap((row) => (row.bars ?? []).map((bar) => ({ label: `#${row.id} ${bar.label}`, ratio: bar.ratio })));
  const width = 760;
  const left = 330;
  const barHeight = 18;
  const gap = 8;
  const height = 40 + bars.length * (barHeight + gap);
  const max = Math.max(2, ...bars.map((bar) => bar.ratio));
  const scale = (width - left - 60) / max;
  const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12" role="img">`,
    "<title>Hoard benchmark ratios against each reference</title>",
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-weight="bold">Hoard vs reference (ratio; 1.0 = reference; see each row for which way is better)</text>`,
    `<line x1="${left + scale}" y1="28" x2="${left + scale}" y2="${height - 4}" stroke="#999" stroke-dasharray="4 3"/>`,
  ];
  bars.forEach((bar, i) => {
    const y = 34 + i * (barHeight + gap);
    parts.push(`<text x="10" y="${y + 13}">${escapeXml(bar.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, bar.ratio * scale)}" height="${barHeight}" fill="#3b6fb6"/>`);
    parts.push(`<text x="${left + bar.ratio * scale + 6}" y="${y + 13}">${bar.ratio.toFixed(2)}x</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

export function renderMarkdown(meta: { command: string; machine: string[]; versions: string[] }, rows: RowReport[]): string {
  const lines = [
    "# Benchmarks",
    "",
    `Made by \`${meta.command}\`. Every comparison runs its sides interleaved in one process run, repeated; figures are medians with (min–max) over the rounds, and ratios are of medians. This machine is shared and noisy (±30%): read ratios, not absolute numbers.`,
    "",
    "## Machine",
    "",
    ...meta.machine.map((line) => `- ${line}`),
    "",
    "## Versions",
    "",
    ...meta.versions.map((line) => `- ${line}`),
    "",
    "## Summary",
    "",
    "| # | what | target | result | met |",
    "|---|---|---|---|---|",
    ...rows.map(
      (row) =>
        `| ${row.id} | ${row.title} | ${row.target} | ${row.result} | ${row.met === undefined ? "report" : row.met ? "yes" : "**no**"} |`,
    ),
    "",
    "![ratios](bench/results/ratios.svg)",
    "",
  ];
  for (const row of rows) {
    lines.push(`## ${row.id}. ${row.title}`, "", ...row.table, "", `Target: ${row.target}. Result: ${row.result}.`, "");
    if (row.notes?.length) lines.push(...row.notes.map((note) => `- ${note}`), "");
  }
  return lines.join("\n");
}
