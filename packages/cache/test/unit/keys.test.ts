import { describe, expect, it } from "vitest";
import { decodeId, encodeId, KeySpace } from "../../src/encoding/keys.js";
import { InvalidKeyError } from "../../src/errors.js";

describe("keys", () => {
  const space = new KeySpace("hoard", "user", 2);

  it("lays out {prefix}:{namespace}:v{version}:{id} with the id as hash tag", () => {
    expect(space.valueKey(42)).toBe("hoard:user:v2:{42}");
    expect(space.valueKey("alice")).toBe("hoard:user:v2:{alice}");
  });

  it("escapes separators, hash-tag braces and glob characters", () => {
    for (const id of ["a:b", "x}y", "{z", "*", "a?b", "[ab]", "back\\slash", "50%", "ünï", "a b"]) {
      const encoded = encodeId(id);
      expect(encoded).toMatch(/^[A-Za-z0-9_.~%-]+$/);
      expect(decodeId(encoded)).toBe(id);
    }
  });

  it("cannot reach into another namespace or version", () => {
    const other = new KeySpace("hoard", "session", 1);
    const sneaky = space.valueKey("x}:session:v1:{1");
    expect(sneaky.startsWith(other.versionPrefix)).toBe(false);
    expect(space.idOf(sneaky)).toBe("x}:session:v1:{1");
    expect(other.idOf(sneaky)).toBeUndefined();
  });

  it("keeps glob characters out of the namespace SCAN pattern", () => {
    expect(space.namespacePattern()).toBe("hoard:user:v*");
    // "users" must not match the pattern of "user".
    expect(new KeySpace("hoard", "users", 1).valueKey(1).startsWith("hoard:user:")).toBe(false);
  });

  it("rejects ids that cannot be keys", () => {
    expect(() => encodeId("")).toThrow(InvalidKeyError);
    expect(() => encodeId("x".repeat(513))).toThrow(InvalidKeyError);
    expect(() => encodeId(Number.NaN)).toThrow(InvalidKeyError);
    expect(() => encodeId({} as unknown as string)).toThrow(/strings or numbers/);
  });
});
