import { Agent, request } from "node:http";

/** The answer to one call: HTTP status (0: no answer) and the tRPC result's data. */
export interface Answer {
  status: number;
  data: unknown;
}

/**
 * A keep-alive HTTP client of the entry point for tRPC calls (node:http, far
 * cheaper per request than fetch, so the load generator leaves more of the
 * shared cores to the servers). `sockets` bounds the connections.
 */
export class TrpcClient {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    sockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  query(path: string, input: unknown): Promise<Answer> {
    return this.send("GET", `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, undefined, false);
  }

  mutation(path: string, input: unknown): Promise<Answer> {
    return this.send("POST", `/trpc/${path}`, JSON.stringify(input), true);
  }

  close(): void {
    this.agent.destroy();
  }

  /** Queries go without a token, like the public's reads; mutations (admin procedures) carry it. */
  private send(method: string, path: string, body: string | undefined, admin: boolean): Promise<Answer> {
    return new Promise((resolve) => {
      const headers: Record<string, string> = admin ? { authorization: `Bearer ${this.token}`, "content-type": "application/json" } : {};
      const req = request(`${this.baseUrl}${path}`, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          let data: unknown = null;
          try {
            data = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { result?: { data?: unknown } }).result?.data ?? null;
          } catch {
            // a non-JSON answer (a proxy error): the status says it failed
          }
          resolve({ status: res.statusCode ?? 0, data });
        });
        res.on("error", () => resolve({ status: 0, data: null }));
      });
      req.on("error", () => resolve({ status: 0, data: null }));
      req.end(body);
    });
  }
}
