import { describe, expect, it } from "vitest";
import { describeError, errorCode, shouldRetry } from "../src/errors.js";
import { routeOf } from "../src/route.js";

describe("errors", () => {
  it("tells a refused token from an API that does not answer", () => {
    expect(errorCode({ message: "x", data: { code: "UNAUTHORIZED" } })).toBe("UNAUTHORIZED");
    expect(describeError(new TypeError("Failed to fetch"))).toMatch(/^Cannot reach the API \(Failed to fetch\)/);
    expect(describeError({ message: "That email is already taken.", data: { code: "CONFLICT" } })).toBe("That email is already taken.");
  });

  it("retries only what may heal", () => {
    expect(shouldRetry(0, new TypeError("Failed to fetch"))).toBe(true);
    expect(shouldRetry(1, new TypeError("Failed to fetch"))).toBe(false);
    expect(shouldRetry(0, { data: { code: "BAD_REQUEST" } })).toBe(false);
  });
});

describe("routeOf", () => {
  it("reads the page from the fragment, Dashboard otherwise", () => {
    expect(routeOf("#/lab")).toBe("lab");
    expect(routeOf("")).toBe("dashboard");
    expect(routeOf("#/nope")).toBe("dashboard");
  });
});
