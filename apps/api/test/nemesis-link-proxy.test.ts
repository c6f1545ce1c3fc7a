import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LinkProxy } from "../nemesis/support/link-proxy.js";
import { until } from "./support/poll.js";

/** A TCP sink that keeps every byte it receives, in order. */
async function sink(): Promise<{ server: Server; port: number; received: () => string }> {
  let received = "";
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
      // A loaded event loop: the proxy's next data event runs later than the loop's cached clock says.
      const busyUntil = Date.now() + 2;
      while (Date.now() < busyUntil) {}
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
  return { server, port, received: () => received };
}

describe("nemesis link proxy", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // A latency fault must delay a TCP stream, never reorder it: a reordered Redis stream hands one
  // command's reply to another (a read of one user answered with another's profile).
  /** A sink behind a proxy and one client connection through it. */
  async function link(): Promise<{ proxy: LinkProxy; client: Socket; received: () => string }> {
    const target = await sink();
    cleanups.push(() => new Promise<void>((resolve) => target.server.close(() => resolve())));
    const proxy = await LinkProxy.start("test", "127.0.0.1", { host: "127.0.0.1", port: target.port });
    cleanups.push(() => proxy.close());
    const client: Socket = connect(proxy.port, "127.0.0.1");
    client.on("error", () => {});
    client.setNoDelay(true);
    cleanups.push(() => void client.destroy());
    await new Promise((resolve) => client.once("connect", resolve));
    return { proxy, client, received: target.received };
  }

  /** Writes `count` numbered chunks from `from`, one event-loop turn apart (one data event each, mostly). */
  async function send(client: Socket, from: number, count: number): Promise<string> {
    let sent = "";
    for (let i = from; i < from + count; i++) {
      client.write(`<${i}>`);
      sent += `<${i}>`;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return sent;
  }

  // A latency fault must delay a TCP stream, never reorder it: a reordered Redis stream hands one
  // command's reply to another (a read of one user answered with another's profile).
  it("keeps the byte order of a connection under latency with jitter", async () => {
    const { proxy, client, received } = await link();
    const heal = proxy.apply({ kind: "latency", of: "all", delayMs: 5, jitterMs: 40 });
    const expected = await send(client, 0, 400);
    await until("every byte to arrive", () => received().length >= expected.length, 20_000);
    heal();
    expect(received()).toBe(expected);
  });

  it("keeps the order when the latency is healed with chunks still delayed", async () => {
    const { proxy, client, received } = await link();
    const heal = proxy.apply({ kind: "latency", of: "all", delayMs: 300, jitterMs: 0 });
    const before = await send(client, 0, 20);
    heal();
    const expected = before + (await send(client, 20, 20));
    await until("every byte to arrive", () => received().length >= expected.length, 20_000);
    expect(received()).toBe(expected);
  });
});
