import { DecodeError } from "./errors.js";

/**
 * What the cache stores per key, in both tiers: the encoded value plus the
 * times that govern it. Absolute times let an L2 hit fill L1 with exactly the
 * time the entry has left.
 */
export interface EntryMeta {
  /** The loader returned null/undefined: this is an "absent" marker. */
  negative: boolean;
  /** Epoch ms until which the entry is fresh. */
  freshUntil: number;
  /** Epoch ms until which a stale copy may still be served (>= freshUntil). */
  staleUntil: number;
  /** How long the load that produced it took, in ms (drives early refresh). */
  loadMs: number;
}

// Layout: magic "H" | format 1 | flags u8 | freshUntil f64 | staleUntil f64 | loadMs u32 | payload
const MAGIC = 0x48;
const FORMAT = 1;
const HEADER_BYTES = 23;
const FLAG_NEGATIVE = 1;

/** Prepends the header to an encoded payload. */
export function wrapEnvelope(meta: EntryMeta, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out[0] = MAGIC;
  out[1] = FORMAT;
  out[2] = meta.negative ? FLAG_NEGATIVE : 0;
  out.writeDoubleLE(meta.freshUntil, 3);
  out.writeDoubleLE(meta.staleUntil, 11);
  out.writeUInt32LE(Math.min(0xffffffff, Math.max(0, Math.round(meta.loadMs))), 19);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** Splits stored bytes into header and payload; throws {@link DecodeError} on anything else. */
export function unwrapEnvelope(bytes: Buffer): { meta: EntryMeta; payload: Buffer } {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC || bytes[1] !== FORMAT) {
    throw new DecodeError(`Stored bytes are not a Hoard entry (length ${bytes.length}).`);
  }
  const freshUntil = bytes.readDoubleLE(3);
  const staleUntil = bytes.readDoubleLE(11);
  if (!Number.isFinite(freshUntil) || !Number.isFinite(staleUntil) || staleUntil < freshUntil) {
    throw new DecodeError("Stored entry has corrupt expiry times.");
  }
  return {
    meta: {
      negative: ((bytes[2] ?? 0) & FLAG_NEGATIVE) !== 0,
      freshUntil,
      staleUntil,
      loadMs: bytes.readUInt32LE(19),
    },
    payload: bytes.subarray(HEADER_BYTES),
  };
}
