import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The shared Redis the suites run against (never flushed: each suite owns a prefix). */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A prefix no other suite or run uses. */
export function uniquePrefix(suite: string): string {
  return `t-${suite}-${randomBytes(4).toString("hex")}`;
}

/** A plain client for inspecting and tampering with keys in tests. */
export function inspector(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: false });
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}

/** Every key under `prefix`. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found.sort();
}

/**
 * Counts the commands a client sends by wrapping `sendCommand`
 * (Lua commands count once, as the EVALSHA they are).
 */
export function countCommands(client: Redis): { counts: Map<string, number>; total(): number; reset(): void } {
  const counts = new Map<string, number>();
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    counts.set(command.name, (counts.get(command.name) ?? 0) + 1);
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.sendCommand;
  return {
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
  };
}
