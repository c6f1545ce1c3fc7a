import { Packr } from "msgpackr";

/**
 * Turns values into bytes and back. Both tiers see a value only after it has
 * been through `encode` then `decode`, so an L1 hit and an L2 hit of the same
 * entry yield the same types.
 */
export interface Codec {
  /** Short name shown in stats and the README. */
  readonly name: string;
  encode(value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
  /** Optional: decodes `bytes` from `offset` on without a sliced copy of the view (the hot L2 path uses it). */
  decodeFrom?(bytes: Buffer, offset: number): unknown;
}

/**
 * JSON: readable in `redis-cli`, but a `Date` becomes an ISO string (on both
 * paths; pair it with a schema such as `z.coerce.date()` to get dates back).
 */
export const jsonCodec: Codec = {
  name: "json",
  encode: (value) => Buffer.from(JSON.stringify(value), "utf8"),
  decode: (bytes) => JSON.parse(bytes.toString("utf8")),
  decodeFrom: (bytes, offset) => JSON.parse(bytes.toString("utf8", offset)),
};

/**
 * MessagePack through msgpackr: smaller and faster on large values, and a
 * `Date` stays a `Date`. With `records: true`, objects of the same shape share
 * one structure definition inside each value.
 */
export function msgpackCodec(options: { records?: boolean } = {}): Codec {
  const packr = new Packr({
    useRecords: options.records ?? false,
    // Structures are not shared across values: every value must decode on its own,
    // in any process, whatever was written before it.
    structures: undefined,
    moreTypes: false,
  });
  return {
    name: options.records ? "msgpack-records" : "msgpack",
    encode: (value) => packr.pack(value),
    decode: (bytes) => packr.unpack(bytes),
  };
}
