import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The shared Redis (never flushed: each suite owns a key prefix). */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export function uniquePrefix(suite: string): string {
  return `t-api-${suite}-${randomBytes(4).toString("hex")}`;
}

/** Deletes every key under `prefix` with SCAN (never KEYS, never FLUSH). */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
