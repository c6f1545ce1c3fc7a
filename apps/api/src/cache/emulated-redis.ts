import type { Redis } from "ioredis";
import RedisMock from "ioredis-mock";

/**
 * An in-process Redis emulation (ioredis-mock) that @hoard/cache can drive.
 * For `pnpm dev` with nothing installed: one instance only, nothing shared.
 *
 * ioredis-mock runs the cache's Lua scripts (SET NX PX, PUBLISH from Lua), but
 * three gaps stop the cache from using it as it comes:
 * 1. it has no `status` property, so the cache sees a client that is never
 *    "ready" and silently skips L2 (and `cache.ready()` times out);
 * 2. `defineCommand(name)` does not add the `<name>Buffer` variant that ioredis
 *    adds, and the cache calls `hoardAcquireBuffer`;
 * 3. a string a script returns is decoded as UTF-8, so binary bytes in a
 *    returned value (the entry header's loadMs) come back mangled.
 * This shim fills the three: `status` follows `connected`, each defined
 * command gets a Buffer variant, and a returned string that is the value of one
 * of the script's KEYS is replaced by that key's exact bytes (GETBUFFER).
 */
export function createEmulatedRedis(): Redis {
  return shim(new RedisMock());
}

type Loose = Record<string, unknown> & { connected?: boolean };

function shim(client: Redis): Redis {
  const loose = client as unknown as Loose;
  Object.defineProperty(client, "status", { get: () => (loose.connected === false ? "end" : "ready"), configurable: true });
  const duplicate = client.duplicate.bind(client);
  loose.duplicate = (...args: unknown[]) => shim((duplicate as (...a: unknown[]) => Redis)(...args));
  const defineCommand = client.defineCommand.bind(client);
  loose.defineCommand = (name: string, definition: { numberOfKeys: number; lua: string }) => {
    defineCommand(name, definition);
    const command = loose[name] as (...args: unknown[]) => Promise<unknown>;
    loose[`${name}Buffer`] = async (...args: unknown[]) => {
      const reply = await command(...args);
      const keys = args.slice(0, definition.numberOfKeys) as string[];
      return toBuffers(client, reply, keys);
    };
  };
  return client;
}

async function toBuffers(client: Redis, reply: unknown, keys: string[]): Promise<unknown> {
  if (Array.isArray(reply)) return Promise.all(reply.map((item) => toBuffers(client, item, keys)));
  if (typeof reply !== "string") return reply;
  for (const key of keys) {
    const exact = await client.getBuffer(key);
    if (exact && exact.toString("utf8") === reply) return exact;
  }
  return Buffer.from(reply, "utf8");
}
