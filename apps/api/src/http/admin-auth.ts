import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The admin bearer token. Only its SHA-256 digest is kept after start, and
 * presented tokens are hashed and compared in constant time, so neither the
 * token's content nor its length leaks through timing. Never logged.
 */
export class AdminAuth {
  private readonly digest: Buffer;
  /** True when the server made the token itself (ADMIN_TOKEN unset). */
  readonly generated: boolean;

  private constructor(token: string, generated: boolean) {
    this.digest = sha256(token);
    this.generated = generated;
  }

  /** Uses `configured`, or makes a random token and hands it to `reveal` once (to print a login URL). */
  static create(configured: string | undefined, reveal: (token: string) => void): AdminAuth {
    if (configured) return new AdminAuth(configured, false);
    const token = randomBytes(24).toString("base64url");
    reveal(token);
    return new AdminAuth(token, true);
  }

  /** Whether an `Authorization` header carries the admin token. */
  allows(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) return false;
    return timingSafeEqual(sha256(match[1] as string), this.digest);
  }

  /** An HMAC of `text` keyed by the admin token: only instances that hold the same token can make it. */
  sign(text: string): string {
    return createHmac("sha256", this.digest).update(text, "utf8").digest("hex");
  }

  /** Whether `signature` is `sign(text)`, compared in constant time. */
  verifies(text: string, signature: unknown): boolean {
    if (typeof signature !== "string" || !/^[0-9a-f]{64}$/.test(signature)) return false;
    return timingSafeEqual(Buffer.from(this.sign(text), "hex"), Buffer.from(signature, "hex"));
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
