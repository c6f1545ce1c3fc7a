/**
 * What travels on the invalidation bus. Messages carry keys, never values.
 *
 * - `inv`: the keys were set or deleted; drop them from L1.
 * - `fill`: a load stored the key (or was fenced off); drop it from L1 and wake lock waiters.
 * - `rel`: a lock holder gave up without storing; wake waiters so one of them loads.
 * - `clear`: every key under the namespace prefix `k[0]` is gone.
 */
export type BusMessageType = "inv" | "fill" | "rel" | "clear";

export interface BusMessage {
  /** Origin: the publishing cache instance's id. */
  o: string;
  /** Per-origin sequence number, +1 per message; a jump means messages were lost. */
  s: number;
  t: BusMessageType;
  k: string[];
}

export function encodeBusMessage(message: BusMessage): string {
  return JSON.stringify(message);
}

/** Parses a message, or returns undefined for anything that is not one. */
export function decodeBusMessage(raw: string): BusMessage | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<BusMessage>;
    if (
      typeof parsed.o === "string" &&
      typeof parsed.s === "number" &&
      (parsed.t === "inv" || parsed.t === "fill" || parsed.t === "rel" || parsed.t === "clear") &&
      Array.isArray(parsed.k)
    ) {
      return parsed as BusMessage;
    }
  } catch {
    // Foreign or corrupt payloads on our channel are ignored (counted by the caller).
  }
  return undefined;
}
