import { describe, expect, it } from "vitest";
import { missReason } from "../src/users/miss-reason.js";

describe("missReason", () => {
  it("names the edit made since the previous lookup", () => {
    const reason = missReason({ id: 7, source: "database" }, 3_000, 1_000, [{ id: 7, at: 2_000, kind: "saved" }]);
    expect(reason).toMatch(/you saved user 7 .* deleted the key in Redis .* bus/);
  });

  it("ignores an edit older than the previous lookup, and says nothing for a hit", () => {
    expect(missReason({ id: 7, source: "database" }, 90_000, 1_000, [{ id: 7, at: 500, kind: "saved" }])).toMatch(/expired/);
    expect(missReason({ id: 7, source: "l2" }, 3_000, 1_000, [{ id: 7, at: 2_000, kind: "saved" }])).toBeNull();
    expect(missReason({ id: 7, source: "database" }, 3_000, undefined, [])).toMatch(/never cached/);
  });
});
