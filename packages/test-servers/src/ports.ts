import { createServer } from "node:net";

/**
 * Where test servers listen: below Linux's default ephemeral range (32768–60999) and macOS's (49152–65535).
 * A port the OS picks for `listen(0)` is one it also hands to outgoing connections as their local port, so a
 * server started on it a moment later (a spawned process, a Redis restarted after an outage, the instances
 * on the ports after `pnpm dev`'s PORT) can find it taken by another test's Redis or Postgres client. No
 * outgoing connection is ever given a port from this range.
 */
const TEST_PORTS = { from: 20_000, to: 32_000 } as const;

/**
 * A port in the test range that nothing listens on right now (checked by a listen and close on `host`). The
 * pick is random, so test processes running at once rarely try the same one; a server that still finds it
 * taken should start again on another (as `OwnRedisServer` does).
 * @param host the address checked; default `127.0.0.1`.
 * @param exclude ports not to return (others this caller took and has not bound yet).
 */
export async function freePort(host = "127.0.0.1", exclude: readonly number[] = []): Promise<number> {
  return freePortRun(1, host, exclude);
}

/**
 * The first of `count` consecutive free ports in the test range, for a program that takes one port and uses
 * the ones after it (`pnpm dev`: the entry point on PORT, its instances on PORT + 1, PORT + 2, ...).
 * @param count how many consecutive ports; at least 1.
 * @param host the address checked; default `127.0.0.1`.
 * @param exclude ports none of the run may be.
 * @throws Error when 100 random runs were all partly taken.
 */
export async function freePortRun(count: number, host = "127.0.0.1", exclude: readonly number[] = []): Promise<number> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`freePortRun: count must be a whole number >= 1, not ${count}`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const first = TEST_PORTS.from + Math.floor(Math.random() * (TEST_PORTS.to - TEST_PORTS.from - count));
    let free = true;
    for (let port = first; port < first + count && free; port++) free = !exclude.includes(port) && (await canListen(port, host));
    if (free) return first;
  }
  throw new Error(`freePortRun: no ${count} consecutive free ports found on ${host} in ${TEST_PORTS.from}..${TEST_PORTS.to}`);
}

function canListen(port: number, host: string): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
