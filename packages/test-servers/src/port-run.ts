import { createServer } from "node:net";

/**
 * Ports below Linux's default ephemeral range (32768–60999) and macOS's (49152–65535). A port the OS hands out
 * for `listen(0)` is also one it may give any outgoing connection as its local port, so a run of consecutive
 * ports picked there (`port`, `port + 1`, ...) can be taken by another test's Redis or Postgres client between
 * the check and the listen. Ports from this range are never given out that way.
 */
const RUN_RANGE = { from: 20_000, to: 32_000 } as const;

/**
 * The first of `count` consecutive ports that nothing listens on right now (each checked by a listen and close
 * on `host`), for a program that takes one port and uses the ones after it (`pnpm dev`: the entry point on PORT,
 * its instances on PORT + 1, PORT + 2, ...). The start is random, so concurrent tests rarely try the same run.
 * @param count how many consecutive ports; at least 1.
 * @param host the address checked; default `127.0.0.1`.
 * @throws Error when 100 random runs were all partly taken.
 */
export async function freePortRun(count: number, host = "127.0.0.1"): Promise<number> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`freePortRun: count must be a whole number >= 1, not ${count}`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const first = RUN_RANGE.from + Math.floor(Math.random() * (RUN_RANGE.to - RUN_RANGE.from - count));
    let free = true;
    for (let port = first; port < first + count && free; port++) free = await canListen(port, host);
    if (free) return first;
  }
  throw new Error(`freePortRun: no ${count} consecutive free ports found on ${host} in ${RUN_RANGE.from}..${RUN_RANGE.to}`);
}

function canListen(port: number, host: string): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
