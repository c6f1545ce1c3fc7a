import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { percentile } from "@hoard/cache/percentile";

/** One HTTP answer: status, the Retry-After header, body size. */
export interface Answer {
  status: number;
  retryAfter: string | undefined;
  bytes: number;
}

/**
 * A client with its own loopback source address (127.0.0.0/8 all reaches the server on 127.0.0.1), so
 * the API sees distinct clients. Keep-alive, at most `sockets` connections.
 */
export function loopbackClient(url: string, sourceAddress: string, sockets = 4) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, localAddress: sourceAddress });
  const target = new URL(url);
  const get = (path: string, timeoutMs = 30_000): Promise<Answer> =>
    new Promise((resolve) => {
      const req = request({ host: target.hostname, port: target.port, path, agent, timeout: timeoutMs }, (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => (bytes += chunk.length));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined, bytes }));
        res.on("error", () => resolve({ status: 0, retryAfter: undefined, bytes }));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => resolve({ status: 0, retryAfter: undefined, bytes: 0 }));
      req.end();
    });
  return { get, close: () => agent.destroy() };
}

/** What a paced victim saw. */
export interface VictimFigures {
  /** Successful answers per second over the run. */
  okPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 200 (429, 5xx, network failures as 0, skipped as "skipped"). */
  failures: number;
  failuresByStatus: Record<string, number>;
  sent: number;
}

/**
 * `clients` well-behaved clients (each from its own source address), each sending `perClientRate`
 * requests/s to `path` for `durationMs` (open loop: a request is due every 1/rate s whether or not
 * the last one answered; at most 8 in flight per client, later ones are skipped and count as failures).
 */
export async function pacedVictim(
  url: string,
  path: string,
  options: {
    clients: number;
    perClientRate: number;
    durationMs: number;
    firstAddress: number;
    /** Called once per client, when its first answer arrives (its keep-alive connection is open). */
    onFirstAnswer?: () => void;
  },
): Promise<VictimFigures> {
  const latencies: number[] = [];
  let failures = 0;
  let sent = 0;
  const failuresByStatus: Record<string, number> = {};
  const fail = (status: string) => {
    failures++;
    failuresByStatus[status] = (failuresByStatus[status] ?? 0) + 1;
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, async (_, i) => {
      const client = loopbackClient(url, `127.0.1.${options.firstAddress + i}`, 8);
      const interval = 1_000 / options.perClientRate;
      const inFlight = new Set<Promise<void>>();
      let answered = false;
      try {
        for (let due = performance.now() + Math.random() * interval; due - started < options.durationMs; due += interval) {
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          sent++;
          if (inFlight.size >= 8) {
            fail("skipped");
            continue;
          }
          const begin = performance.now();
          const call = client.get(path, 10_000).then((answer) => {
            if (!answered) {
              answered = true;
              options.onFirstAnswer?.();
            }
            if (answer.status === 200) latencies.push(performance.now() - begin);
            else fail(String(answer.status));
          });
          const tracked = call.finally(() => inFlight.delete(tracked));
          inFlight.add(tracked);
        }
        await Promise.all(inFlight);
      } finally {
        client.close();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    okPerSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    failures,
    failuresByStatus,
    sent,
  };
}

/** A tRPC batch GET of `calls` × user.list(limit 100). */
export function listBatchPath(calls: number): string {
  const input = Object.fromEntries(Array.from({ length: calls }, (_, i) => [String(i), { limit: 100 }]));
  return `/trpc/${Array(calls).fill("user.list").join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

/** What the batch attacker did. */
export interface AttackerFigures {
  requests: number;
  byStatus: Record<string, number>;
  megabytes: number;
}

/**
 * `clients` attackers (own source addresses), one request in flight each, until `signal` aborts: a
 * 220-call batch of user.list(limit 100); once that is refused (400), the largest batch allowed
 * (10 calls). A 429 is ignored: the attacker sends the next request at once.
 */
export async function batchAttacker(url: string, clients: number, signal: AbortSignal): Promise<AttackerFigures> {
  const figures: AttackerFigures = { requests: 0, byStatus: {}, megabytes: 0 };
  const big = listBatchPath(220);
  const allowed = listBatchPath(10);
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const client = loopbackClient(url, `127.0.2.${i + 1}`, 1);
      let path = big;
      try {
        while (!signal.aborted) {
          const answer = await client.get(path);
          figures.requests++;
          figures.byStatus[answer.status] = (figures.byStatus[answer.status] ?? 0) + 1;
          figures.megabytes += answer.bytes / 1e6;
          if (answer.status === 400) path = allowed;
        }
      } finally {
        client.close();
      }
    }),
  );
  figures.megabytes = Math.round(figures.megabytes * 10) / 10;
  return figures;
}

/** Slowloris: `count` sockets that send a request line and the start of a header, then one byte every 2 s. Lifetimes are from connect to close. */
export async function slowSockets(
  url: string,
  count: number,
): Promise<{ sockets: Socket[]; lifetimesMs: () => number[]; open: () => number }> {
  const target = new URL(url);
  const lifetimes: number[] = [];
  const sockets: Socket[] = [];
  let open = 0;
  const batch = 200;
  for (let from = 0; from < count; from += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - from) }, (_, i) => {
        const socket = connect({ host: target.hostname, port: Number(target.port), localAddress: `127.0.3.${1 + ((from + i) % 250)}` });
        sockets.push(socket);
        socket.on("error", () => {});
        let connectedAt = 0;
        socket.on("close", () => {
          if (connectedAt === 0) return;
          open--;
          lifetimes.push(performance.now() - connectedAt);
        });
        return new Promise<void>((resolve) => {
          socket.once("connect", () => {
            connectedAt = performance.now();
            open++;
            socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
            // One more header byte every 2 s: a server that only times out idle sockets never closes this one.
            const drip = setInterval(() => socket.write("a"), 2_000);
            socket.once("close", () => clearInterval(drip));
            resolve();
          });
          socket.once("error", () => resolve());
        });
      }),
    );
  }
  return { sockets, lifetimesMs: () => [...lifetimes], open: () => open };
}
