import { describe, expect, it } from "vitest";
import { hexDump, idFromFilter } from "../src/cache/entry-filter.js";

describe("idFromFilter", () => {
  it("takes a bare id, or the id inside a key's braces (decoded)", () => {
    expect(idFromFilter(" 42 ")).toBe("42");
    expect(idFromFilter("hoard:user:v1:{42}")).toBe("42");
    expect(idFromFilter("hoard:user:v1:{a%3Ab}")).toBe("a:b");
    expect(idFromFilter("hoard:user:v1:{7}:lease")).toBe("7");
    expect(idFromFilter("hoard:user:v1:{%E0%A4%A}")).toBe("%E0%A4%A");
    expect(idFromFilter("   ")).toBeNull();
  });
});

describe("hexDump", () => {
  it("prints 16 bytes a line with offsets", () => {
    const dump = hexDump("00".repeat(17));
    expect(dump.split("\n")).toEqual([`0000  ${Array(16).fill("00").join(" ")}`, "0010  00"]);
  });
});
