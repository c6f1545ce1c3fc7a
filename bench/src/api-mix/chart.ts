/** One panel of the variants chart: a value per variant, and which way is better. */
export interface Panel {
  title: string;
  /** Which way is better, shown under the title. */
  better: "more" | "less";
  unit: string;
  values: { label: string; value: number }[];
}

const COLORS = ["#9aa5b1", "#d08c3f", "#6f9c5c", "#3b6fb6"];

/** Panels side by side, one horizontal bar per variant (standalone SVG, no dependencies). */
export function variantsChart(title: string, panels: Panel[]): string {
  const panelWidth = 290;
  const barHeight = 22;
  const step = barHeight + 30;
  const top = 76;
  const rows = Math.max(...panels.map((panel) => panel.values.length));
  const height = top + rows * step;
  const width = panels.length * (panelWidth + 20) + 20;
  const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const format = (value: number) => (value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(value >= 10 ? 1 : 2));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const x0 = 20 + p * (panelWidth + 20);
    const max = Math.max(1e-9, ...panel.values.map((entry) => entry.value));
    const scale = (panelWidth - 70) / max;
    parts.push(`<text x="${x0}" y="46" font-weight="bold">${escapeXml(panel.title)}</text>`);
    parts.push(`<text x="${x0}" y="62" fill="#555">${panel.better} is better</text>`);
    panel.values.forEach((entry, i) => {
      const y = top - 8 + i * step;
      parts.push(`<text x="${x0}" y="${y + 12}">${escapeXml(entry.label)}</text>`);
      parts.push(
        `<rect x="${x0}" y="${y + 16}" width="${Math.max(1, entry.value * scale)}" height="${barHeight}" fill="${COLORS[i % COLORS.length]}"/>`,
      );
      parts.push(
        `<text x="${x0 + Math.max(1, entry.value * scale) + 6}" y="${y + 32}">${format(entry.value)} ${escapeXml(panel.unit)}</text>`,
      );
    });
  });
  parts.push("</svg>");
  return parts.join("\n");
}
