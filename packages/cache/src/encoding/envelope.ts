import { DecodeError } from "../errors.js";

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

/** The header as read back: the stored times plus what on-demand expiry and tags added. */
export interface EntryHeader extends EntryMeta {
  /** Made stale on demand (`expire`, `expireTags`): served stale at once while one refresh runs. */
  expired: boolean;
  /** The tags the entry carries; undefined when it has none. */
  tags: readonly string[] | undefined;
  /** The tag sequence number this process knew when the entry's load began (0 when untagged). */
  tagSeq: number;
  /** Where the codec's payload begins. */
  payloadAt: number;
}

/** What {@link wrapEnvelope} writes: the times, and the tags with the sequence their load began at. */
export interface EnvelopeInput extends EntryMeta {
  tags?: readonly string[] | undefined;
  tagSeq?: number;
}

// Layout: "H" | format 1 | flags u8 | freshUntil 13 ASCII digits | staleUntil 13 ASCII digits | loadMs u32 LE | payload
// Times are ASCII so the Lua scripts (and any Redis emulation) can read freshUntil with tonumber().
// Flag bit 1 (expired) is set by EXPIRE_LUA in place. A tagged entry (flag bit 2) has a tag block
// between header and payload: tagSeq as 16 ASCII digits (TAG_SEQUENCE_LUA: microseconds), u16 LE byte
// length, the tags joined by "\n".
const MAGIC = 0x48;
const FORMAT = 1;
const TIME_DIGITS = 13;
const FRESH_AT = 3;
const STALE_AT = FRESH_AT + TIME_DIGITS;
const LOAD_MS_AT = STALE_AT + TIME_DIGITS;
/** Bytes before the payload. */
export const HEADER_BYTES = LOAD_MS_AT + 4;
const FLAG_NEGATIVE = 1;
const FLAG_EXPIRED = 2;
const FLAG_TAGGED = 4;
/** Digits of a tag sequence number (below 2^53, so exact as a JS number). */
const SEQ_DIGITS = 16;

function writeTime(out: Buffer, at: number, ms: number, digits = TIME_DIGITS): void {
  out.write(String(Math.min(10 ** digits - 1, Math.max(0, Math.round(ms)))).padStart(digits, "0"), at, "latin1");
}

/** Reads `digits` ASCII digits (13: a time) without allocating; NaN if any byte is not a digit. */
function readTime(bytes: Buffer, at: number, digits = TIME_DIGITS): number {
  let value = 0;
  for (let i = at; i < at + digits; i++) {
    const digit = (bytes[i] as number) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** Prepends the header (and the tag block of a tagged entry) to an encoded payload. */
export function wrapEnvelope(meta: EnvelopeInput, payload: Buffer): Buffer {
  const tags = meta.tags && meta.tags.length > 0 ? Buffer.from(meta.tags.join("\n"), "utf8") : undefined;
  const payloadAt = tags ? HEADER_BYTES + SEQ_DIGITS + 2 + tags.length : HEADER_BYTES;
  const out = Buffer.allocUnsafe(payloadAt + payload.length);
  out[0] = MAGIC;
  out[1] = FORMAT;
  out[2] = (meta.negative ? FLAG_NEGATIVE : 0) | (tags ? FLAG_TAGGED : 0);
  writeTime(out, FRESH_AT, meta.freshUntil);
  writeTime(out, STALE_AT, meta.staleUntil);
  out.writeUInt32LE(Math.min(0xffffffff, Math.max(0, Math.round(meta.loadMs))), LOAD_MS_AT);
  if (tags) {
    writeTime(out, HEADER_BYTES, meta.tagSeq ?? 0, SEQ_DIGITS);
    out.writeUInt16LE(tags.length, HEADER_BYTES + SEQ_DIGITS);
    tags.copy(out, HEADER_BYTES + SEQ_DIGITS + 2);
  }
  payload.copy(out, payloadAt);
  return out;
}

/** Reads the header of stored bytes (the payload starts at {@link HEADER_BYTES}); throws {@link DecodeError} on anything else. */
export function readEnvelope(bytes: Buffer): EntryHeader {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC || bytes[1] !== FORMAT) {
    throw new DecodeError(`Stored bytes are not a Hoard entry (length ${bytes.length}).`);
  }
  const freshUntil = readTime(bytes, FRESH_AT);
  const staleUntil = readTime(bytes, STALE_AT);
  if (!(staleUntil >= freshUntil)) throw new DecodeError("Stored entry has corrupt expiry times.");
  const flags = bytes[2] ?? 0;
  let tags: string[] | undefined;
  let tagSeq = 0;
  let payloadAt = HEADER_BYTES;
  if ((flags & FLAG_TAGGED) !== 0) {
    const textAt = HEADER_BYTES + SEQ_DIGITS + 2;
    if (bytes.length < textAt) throw new DecodeError("Stored entry has a truncated tag block.");
    tagSeq = readTime(bytes, HEADER_BYTES, SEQ_DIGITS);
    const length = bytes.readUInt16LE(HEADER_BYTES + SEQ_DIGITS);
    if (Number.isNaN(tagSeq) || bytes.length < textAt + length) throw new DecodeError("Stored entry has a corrupt tag block.");
    tags = bytes.toString("utf8", textAt, textAt + length).split("\n");
    payloadAt = textAt + length;
  }
  return {
    negative: (flags & FLAG_NEGATIVE) !== 0,
    freshUntil,
    staleUntil,
    loadMs: bytes.readUInt32LE(LOAD_MS_AT),
    expired: (flags & FLAG_EXPIRED) !== 0,
    tags,
    tagSeq,
    payloadAt,
  };
}
