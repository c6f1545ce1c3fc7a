import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { FaultProxy, RedisClusterServers } from "../src/index.js";

describe("RedisClusterServers", () => {
  let cluster: RedisClusterServers | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it("starts three masters that cover every slot, and stops them by pid", async () => {
    cluster = await RedisClusterServers.start(3);
    const client = cluster.client();
    try {
      const masters = await new Promise<number>((resolve, reject) => {
        client.once("ready", () => resolve(client.nodes("master").length));
        client.once("error", reject);
      });
      expect(masters).toBe(3);
      const slots = (await client.cluster("SLOTS")) as [number, number][];
      expect(slots.reduce((sum, [from, to]) => sum + (to - from + 1), 0)).toBe(16_384);
    } finally {
      client.disconnect();
    }
    const pids = cluster.pids;
    await cluster.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe("FaultProxy", () => {
  it("forwards, then resets every connection while cut, then forwards again", async () => {
    const { createServer } = await import("node:net");
    // The proxy resets its upstream sockets when cut: the echo side sees ECONNRESET, which is expected here.
    const echo = createServer((socket) => {
      socket.on("error", () => {});
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const proxy = await FaultProxy.start({ host: "127.0.0.1", port: (echo.address() as { port: number }).port });
    const roundTrip = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(proxy.port, "127.0.0.1", () => socket.write("ping"));
        socket.once("data", (data) => {
          socket.destroy();
          resolve(String(data));
        });
        socket.once("error", reject);
        socket.once("close", () => reject(new Error("closed")));
      });
    try {
      expect(await roundTrip()).toBe("ping");
      proxy.cut();
      await expect(roundTrip()).rejects.toThrow();
      expect(proxy.refused).toBe(1);
      proxy.restore();
      expect(await roundTrip()).toBe("ping");
    } finally {
      await proxy.close();
      echo.close();
    }
  });

  it("stall(match) stops forwarding on the matching open connection and keeps it open; others and new ones forward", async () => {
    const { createServer } = await import("node:net");
    const echo = createServer((socket) => {
      socket.on("error", () => {});
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const proxy = await FaultProxy.start({ host: "127.0.0.1", port: (echo.address() as { port: number }).port });
    const open = async (hello: string) => {
      const socket = connect(proxy.port, "127.0.0.1");
      const received: string[] = [];
      socket.on("data", (data) => received.push(String(data)));
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(hello);
      const deadline = Date.now() + 2_000;
      while (received.join("") !== hello && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      return { socket, received };
    };
    try {
      const silent = await open("I am the subscriber");
      const other = await open("I am the other one");
      expect(proxy.stall((sent) => sent.includes("subscriber"))).toBe(1);
      silent.socket.write("anyone?");
      other.socket.write("!");
      const deadline = Date.now() + 2_000;
      while (!other.received.join("").endsWith("!") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(other.received.join("")).toBe("I am the other one!");
      expect(silent.received.join("")).toBe("I am the subscriber");
      expect(silent.socket.destroyed).toBe(false);
      expect(proxy.connections).toBe(2);
      silent.socket.destroy();
      other.socket.destroy();
    } finally {
      await proxy.close();
      echo.close();
    }
  });
});
