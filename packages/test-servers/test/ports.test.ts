import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, freePortRun, OwnRedisServer, pollUntil } from "../src/index.js";

/** The lowest port Linux may give an outgoing connection (ip_local_port_range), 32768 where it cannot be read. */
function lowestEphemeralPort(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    return 32_768;
  }
}

const listenable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

describe("test ports", () => {
  it("freePortRun gives consecutive free ports that no outgoing connection can be handed", async () => {
    for (let i = 0; i < 20; i++) {
      const first = await freePortRun(4);
      expect(first + 3).toBeLessThan(lowestEphemeralPort());
      for (let port = first; port < first + 4; port++) expect(await listenable(port)).toBe(true);
    }
    await expect(freePortRun(0)).rejects.toThrow(/count must be a whole number >= 1/);
  });

  it("freePort never returns a port that is listened on or excluded", async () => {
    const held = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => held.listen(port, "127.0.0.1", resolve));
    try {
      const excluded: number[] = [];
      for (let i = 0; i < 200; i++) {
        const got = await freePort("127.0.0.1", excluded);
        expect(got).not.toBe(port);
        expect(excluded).not.toContain(got);
        excluded.push(got);
      }
    } finally {
      held.close();
    }
  });

  it("an OwnRedisServer whose port was taken while it was down refuses to restart rather than use the other server", async () => {
    const own = await OwnRedisServer.start();
    await own.stop();
    const squatter = spawn("redis-server", ["--port", String(own.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    try {
      await pollUntil("the other redis-server to listen", async () => !(await listenable(own.port)), 5_000);
      await expect(own.restart()).rejects.toThrow(new RegExp(`port ${own.port}`));
    } finally {
      squatter.kill("SIGKILL");
      await own.dispose();
    }
  });
});
