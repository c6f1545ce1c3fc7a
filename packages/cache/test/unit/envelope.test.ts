import { describe, expect, it } from "vitest";
import { HEADER_BYTES, readEnvelope, wrapEnvelope } from "../../src/encoding/envelope.js";
import { DecodeError } from "../../src/errors.js";

describe("the stored envelope", () => {
  const meta = { negative: false, freshUntil: 1_767_000_000_123, staleUntil: 1_767_000_300_123, loadMs: 42 };

  it("round-trips its header and keeps the payload after 33 bytes", () => {
    const bytes = wrapEnvelope(meta, Buffer.from("payload"));
    expect(HEADER_BYTES).toBe(33);
    expect(readEnvelope(bytes)).toEqual({ ...meta, expired: false, tags: undefined, tagSeq: 0, payloadAt: HEADER_BYTES });
    expect(bytes.subarray(HEADER_BYTES).toString()).toBe("payload");
    // The times are ASCII digits, readable by Lua's tonumber.
    expect(bytes.toString("latin1", 3, 16)).toBe("1767000000123");
    expect(readEnvelope(wrapEnvelope({ ...meta, negative: true }, Buffer.alloc(0))).negative).toBe(true);
  });

  it("clamps what does not fit: negative or huge times, fractional and overflowing loadMs", () => {
    const read = readEnvelope(wrapEnvelope({ negative: false, freshUntil: -5, staleUntil: 1e20, loadMs: 2 ** 40 }, Buffer.alloc(0)));
    expect(read).toMatchObject({ negative: false, freshUntil: 0, staleUntil: 9_999_999_999_999, loadMs: 0xffffffff });
  });

  it("a tagged entry carries its tags and the tag sequence its load began at, before the payload", () => {
    const bytes = wrapEnvelope({ ...meta, tags: ["users:list", "user:42"], tagSeq: 1234 }, Buffer.from("payload"));
    const read = readEnvelope(bytes);
    expect(read).toMatchObject({ ...meta, expired: false, tags: ["users:list", "user:42"], tagSeq: 1234 });
    expect(bytes[2]).toBe(4); // flag bit 2: tagged
    expect(bytes.toString("utf8", read.payloadAt)).toBe("payload");
    expect(bytes.toString("latin1", 3, 16)).toBe("1767000000123"); // the header Lua reads is unchanged
  });

  it("the expired flag (set in place by EXPIRE_LUA) reads back", () => {
    const bytes = wrapEnvelope(meta, Buffer.from("payload"));
    bytes[2] = 2;
    expect(readEnvelope(bytes).expired).toBe(true);
  });

  it("rejects a truncated tag block with a DecodeError", () => {
    const bytes = wrapEnvelope({ ...meta, tags: ["a-long-tag"], tagSeq: 1 }, Buffer.alloc(0));
    expect(() => readEnvelope(bytes.subarray(0, bytes.length - 3))).toThrow(DecodeError);
  });

  it.each([
    ["too short", Buffer.from("H\x01")],
    ["another magic byte", Buffer.concat([Buffer.from("X"), wrapEnvelope(meta, Buffer.alloc(0)).subarray(1)])],
    ["another format", Buffer.concat([Buffer.from("H\x02"), wrapEnvelope(meta, Buffer.alloc(0)).subarray(2)])],
    [
      "a non-digit in a time",
      (() => {
        const bytes = wrapEnvelope(meta, Buffer.alloc(0));
        bytes[5] = 0x41;
        return bytes;
      })(),
    ],
    ["stale before fresh", wrapEnvelope({ ...meta, staleUntil: meta.freshUntil - 1 }, Buffer.alloc(0))],
  ])("rejects %s with a DecodeError", (_, bytes) => {
    expect(() => readEnvelope(bytes)).toThrow(DecodeError);
  });
});
