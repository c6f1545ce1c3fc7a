import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";

/**
 * A redis-server of the test's own, on a free port, that the test may stop,
 * pause or restart (never the shared instance). Stopped by pid.
 */
export class OwnRedisServer {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "hoard-redis-"));

  private constructor(readonly port: number) {}

  /** Starts one on a free port (see `freePort`); on a port that turns out taken, again on another (5 tries). */
  static async start(): Promise<OwnRedisServer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new OwnRedisServer(await freePort());
      try {
        await server.startProcess();
        return server;
      } catch (error) {
        lastError = error;
        await server.dispose();
      }
    }
    throw lastError;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /**
   * Spawns redis-server and waits until it answers. Fails at once when the process exits (its port was taken),
   * and when what answers on the port is another process's server.
   */
  private async startProcess(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir],
      { stdio: "ignore" },
    );
    this.process = child;
    const deadline = Date.now() + 5_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`redis-server on port ${this.port} exited at start (${child.exitCode ?? child.signalCode}): is the port taken?`);
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on("error", () => {});
      let answeringPid: number | undefined;
      try {
        await probe.connect();
        answeringPid = Number(/process_id:(\d+)/.exec(await probe.info("server"))?.[1]);
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      } finally {
        probe.disconnect();
      }
      if (answeringPid === child.pid) return;
      throw new Error(
        `port ${this.port} is answered by another redis-server (pid ${answeringPid}), not the one started here (pid ${child.pid})`,
      );
    }
  }

  /** Kills the server (SIGKILL) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.process = undefined;
  }

  /** Starts it again on the same port (empty: nothing is persisted). */
  async restart(): Promise<void> {
    await this.stop();
    await this.startProcess();
  }

  /** SIGSTOP: the server keeps its sockets but answers nothing. */
  pause(): void {
    this.process?.kill("SIGSTOP");
  }

  resume(): void {
    this.process?.kill("SIGCONT");
  }

  async dispose(): Promise<void> {
    this.resume();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
