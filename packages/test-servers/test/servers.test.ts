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
});
