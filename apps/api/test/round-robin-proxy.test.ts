import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, it } from "vitest";
import { startRoundRobinProxy } from "../src/cluster/round-robin-proxy.js";

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

async function backend(name: string): Promise<string> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => response.end(`${name}:${request.method}:${body}`));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it("sends requests to the instances in turn, bodies included, and skips one that refuses connections", async () => {
  const backends = [await backend("a"), await backend("b"), "http://127.0.0.1:1"];
  const proxy = await startRoundRobinProxy({ port: 0, backends: () => backends });
  try {
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push(await (await fetch(`${proxy.url}/x`, { method: "POST", body: String(i) })).text());
    expect(answers).toEqual(["a:POST:0", "b:POST:1", "a:POST:2", "b:POST:3"]);
  } finally {
    await proxy.close();
  }
});
