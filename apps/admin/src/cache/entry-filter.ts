/**
 * The id a person typed: a bare id (`42`), or a whole key as the browser shows it
 * (`hoard:user:v1:{42}`), whose id sits between the braces, percent-encoded.
 * Null when there is nothing to look for.
 */
export function idFromFilter(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const braced = /\{([^{}]+)\}(:(lease|lock))?$/.exec(trimmed);
  if (!braced?.[1]) return trimmed;
  try {
    return decodeURIComponent(braced[1]);
  } catch {
    // Not valid percent-encoding: look for it as typed.
    return braced[1];
  }
}

/** Stored bytes as hex, 16 bytes a line with offsets ("0000  48 01 00 ..."), the envelope header first. */
export function hexDump(hex: string): string {
  const lines: string[] = [];
  for (let offset = 0; offset * 2 < hex.length; offset += 16) {
    const chunk = hex.slice(offset * 2, (offset + 16) * 2);
    lines.push(`${offset.toString(16).padStart(4, "0")}  ${chunk.replace(/(..)(?!$)/g, "$1 ")}`);
  }
  return lines.join("\n");
}
