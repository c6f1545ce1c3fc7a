import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createCache } from "../src/index.js";
import { recordingLogger } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";

/** A proxy to the shared Redis that can reset any connection the moment it sends SUBSCRIBE. */
async function subscribeKiller(): Promise<{
  port: number;
  armed: { value: boolean };
  resets: () => number;
  resetAll(): void;
  close(): Promise<void>;
}> {
  const armed = { value: false };
  let resets = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(6379, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("data", (chunk: Buffer) => {
      if (armed.value && /subscribe/i.test(chunk.toString("latin1"))) {
        resets++;
        client.resetAndDestroy();
        upstream.resetAndDestroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
  return {
    port,
    armed,
    resets: () => resets,
    resetAll: () => {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * After a reconnect ioredis resubscribes a subscriber connection by itself,
 * and drops the promise of that SUBSCRIBE. If the connection closes before
 * the reply and the client flushes its queue (always with
 * `maxRetriesPerRequest: 0`, every second retry with 1), that promise rejects
 * with nobody listening: an unhandled rejection, which ends a Node process.
 * The bus subscribes by itself on every "ready" (and handles the failure), so
 * the client's own resubscription is switched off.
 */
describe("bus resubscription after a reconnect", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("a reset right after the reconnect's SUBSCRIBE is no unhandled rejection, and the bus joins again", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    cleanups.push(async () => void process.off("unhandledRejection", onUnhandled));
    const proxy = await subscribeKiller();
    cleanups.push(() => proxy.close());
    const cache = createCache({
      // A common ioredis setting: fail a command at the first connection loss.
      redis: { host: "127.0.0.1", port: proxy.port, maxRetriesPerRequest: 0 },
      prefix: `resub-${process.pid}`,
      logger: recordingLogger(),
      busHeartbeatMs: 0,
    });
    cleanups.push(() => cache.close());
    await cache.ready();
    await waitUntil(() => cache.stats().bus?.connected === true, 5_000, "the bus to join");

    // Every SUBSCRIBE from now on is answered with a reset: kill the bus connection so it reconnects.
    proxy.armed.value = true;
    proxy.resetAll();
    await waitUntil(() => proxy.resets() >= 3, 10_000, "three reconnects whose SUBSCRIBE was reset");
    proxy.armed.value = false;

    await waitUntil(() => cache.stats().bus?.connected === true, 10_000, "the bus to join again");
    // Let any rejection of a dropped promise surface.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled.map(String)).toEqual([]);
  });
});
