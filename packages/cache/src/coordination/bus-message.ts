/**
 * What travels on the invalidation bus. Messages carry keys, never values.
 *
 * - `inv`: the keys were set or deleted; drop them from L1.
 * - `fill`: a load stored the key (or was fenced off); drop it from L1 and wake lock waiters.
 * - `rel`: a lock holder gave up without storing; wake waiters so one of them loads.
 * - `clear`: every key under the namespace prefix `k[0]` is gone.
 * - `tinv` / `texp`: the tags in `k` were invalidated / expired at tag sequence number `n`.
 */
export type BusMessageType = "inv" | "fill" | "rel" | "clear" | "tinv" | "texp";

const TYPES: ReadonlySet<string> = new Set<BusMessageType>(["inv", "fill", "rel", "clear", "tinv", "texp"]);

export interface BusMessage {
  /** Origin: the publishing cache instance's id. */
  o: string;
  /** Per-origin sequence number, +1 per message; a jump means messages were lost. */
  s: number;
  t: BusMessageType;
  k: string[];
  /** `tinv` / `texp`: the tag sequence number taken. */
  n?: number;
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
      typeof parsed.t === "string" &&
      TYPES.has(parsed.t) &&
      Array.isArray(parsed.k) &&
      ((parsed.t !== "tinv" && parsed.t !== "texp") || typeof parsed.n === "number")
    ) {
      return parsed as BusMessage;
    }
  } catch {
    // Foreign or corrupt payloads on our channel are ignored (counted by the caller).
  }
  return undefined;
}
