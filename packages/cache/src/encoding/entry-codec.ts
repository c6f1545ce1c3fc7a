import type { StandardSchemaV1 } from "@standard-schema/spec";
import { DecodeError, EncodeError } from "../errors.js";
import type { Codec } from "./codec.js";
import { deepFreeze } from "./deep-freeze.js";
import { type EntryHeader, type EnvelopeInput, HEADER_BYTES, readEnvelope, wrapEnvelope } from "./envelope.js";

/** A decoded entry: its value (null when negative) and its times. */
export interface DecodedEntry<T> extends EntryHeader {
  value: T | null;
  /** Stored size in bytes. */
  size: number;
}

/**
 * Turns values into stored bytes and back for one namespace: codec, envelope
 * and optional schema. Values always go through encode + decode before they
 * are served, so every path yields the same types.
 */
export class EntryCodec<T> {
  constructor(
    private readonly codec: Codec,
    private readonly schema: StandardSchemaV1<unknown, T> | undefined,
    /** Deep-freeze every decoded value (`l1Values: "frozen"`): once per decode, never per L1 hit. */
    private readonly freeze = false,
  ) {}

  /** Encodes a value (null/undefined = negative marker); throws {@link EncodeError}. */
  encode(value: T | null | undefined, meta: Omit<EnvelopeInput, "negative">): { bytes: Buffer; negative: boolean } {
    const negative = value === null || value === undefined;
    let payload: Buffer;
    try {
      payload = negative ? Buffer.alloc(0) : this.codec.encode(value);
    } catch (error) {
      throw new EncodeError(`The ${this.codec.name} codec could not encode the value: ${(error as Error).message}`, { cause: error });
    }
    return { bytes: wrapEnvelope({ ...meta, negative }, payload), negative };
  }

  /**
   * Decodes stored bytes and validates them; throws {@link DecodeError}.
   * Synchronous unless the schema validates asynchronously.
   */
  decode(bytes: Buffer): DecodedEntry<T> | Promise<DecodedEntry<T>> {
    const meta = readEnvelope(bytes);
    if (meta.negative) return entryOf<T>(meta, null, bytes.length);
    let raw: unknown;
    try {
      const at = meta.payloadAt;
      raw = this.codec.decodeFrom ? this.codec.decodeFrom(bytes, at) : this.codec.decode(bytes.subarray(at));
    } catch (error) {
      throw new DecodeError(`The ${this.codec.name} codec could not decode the stored value: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const value = this.validate(raw);
    if (value instanceof Promise) return value.then((valid) => entryOf(meta, this.freeze ? deepFreeze(valid) : valid, bytes.length));
    return entryOf(meta, this.freeze ? deepFreeze(value) : value, bytes.length);
  }

  /** The codec's name, for tools. */
  get codecName(): string {
    return this.codec.name;
  }

  /** Bytes of envelope header before the payload of an untagged entry (a tagged one's `payloadAt` says where). */
  get headerBytes(): number {
    return HEADER_BYTES;
  }

  /** Only the header (for `has` and freshness checks); throws {@link DecodeError}. */
  meta(bytes: Buffer): EntryHeader {
    return readEnvelope(bytes);
  }

  private validate(raw: unknown): T | Promise<T> {
    if (!this.schema) return raw as T;
    const result = this.schema["~standard"].validate(raw);
    return result instanceof Promise ? result.then(checked) : checked(result);
  }
}

/** One object literal (no spread): this runs on every L2 hit. */
function entryOf<T>(meta: EntryHeader, value: T | null, size: number): DecodedEntry<T> {
  return {
    negative: meta.negative,
    freshUntil: meta.freshUntil,
    staleUntil: meta.staleUntil,
    loadMs: meta.loadMs,
    expired: meta.expired,
    tags: meta.tags,
    tagSeq: meta.tagSeq,
    payloadAt: meta.payloadAt,
    value,
    size,
  };
}

function checked<T>(result: StandardSchemaV1.Result<T>): T {
  if (result.issues) {
    const first = result.issues[0];
    const path = first?.path?.map((segment) => (typeof segment === "object" ? String(segment.key) : String(segment))).join(".");
    throw new DecodeError(`Stored value failed the namespace schema${path ? ` at "${path}"` : ""}: ${first?.message ?? "invalid"}`);
  }
  return result.value;
}
