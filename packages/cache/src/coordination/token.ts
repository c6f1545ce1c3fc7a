import { randomBytes } from "node:crypto";

const processNonce = randomBytes(9).toString("base64url");
let counter = 0;

/**
 * A token unique to one lock or lease attempt: a random per-process nonce and
 * a counter. Cheaper than fresh random bytes per miss, and never repeats, so
 * no two attempts (in any process) share a token.
 */
export function newToken(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processNonce}.${counter.toString(36)}`;
}
