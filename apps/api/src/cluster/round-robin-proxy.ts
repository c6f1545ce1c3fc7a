import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A round-robin HTTP entry point for instances on one machine: each request
 * goes to the next live backend, streamed both ways. A backend that refuses
 * the connection is skipped for that request (the next one is tried), so a
 * stopped instance costs no failed request. Not a production load balancer:
 * docker-compose.yml uses nginx for that.
 */
export async function startRoundRobinProxy(options: { port: number; host?: string; backends: () => string[] }): Promise<{
  url: string;
  port: number;
  close(): Promise<void>;
}> {
  const server: Server = createServer(roundRobinHandler(options.backends));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request handler of the entry point, for servers that route only some paths to the instances (`pnpm dev`). */
export function roundRobinHandler(backends: () => string[]): (incoming: IncomingMessage, outgoing: ServerResponse) => void {
  let turn = 0;
  return (incoming, outgoing) => {
    const live = backends();
    const body: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => body.push(chunk));
    incoming.on("end", () => attempt(0));
    const attempt = (tried: number) => {
      if (tried >= live.length) {
        outgoing.writeHead(502, { "content-type": "text/plain" }).end("no instance answered\n");
        return;
      }
      const target = new URL(incoming.url ?? "/", live[turn++ % live.length]);
      const forward = request(target, { method: incoming.method, headers: { ...incoming.headers, host: target.host } }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      forward.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ECONNREFUSED" && !outgoing.headersSent) attempt(tried + 1);
        else if (!outgoing.headersSent) outgoing.writeHead(502, { "content-type": "text/plain" }).end(`${error.message}\n`);
        else outgoing.destroy(error);
      });
      forward.end(Buffer.concat(body));
    };
  };
}
