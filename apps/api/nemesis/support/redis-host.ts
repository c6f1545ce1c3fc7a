import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { until } from "../../test/support/poll.js";
import { type Host, NAME_PREFIX } from "./topology.js";

export const REDIS_PORT = 6379;

/** A redis-server inside a host's namespace, nothing persisted, stopped, paused and restarted by pid. */
export class RedisHost {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}redis-`));

  constructor(
    readonly host: Host,
    private readonly extraArgs: string[] = [],
  ) {}

  get address(): string {
    return `${this.host.address}:${REDIS_PORT}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    // `ip netns exec` execs in place: the pid is redis-server's own.
    // prettier-ignore
    this.child = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.host.namespace,
        "redis-server",
        "--bind",
        this.host.address,
        "--port",
        String(REDIS_PORT),
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
        "--dir",
        this.dir,
        ...this.extraArgs,
      ],
      { stdio: "ignore" },
    );
    await until("redis-server to answer", () => this.answers(), 10_000);
  }

  /** Whether it answers PING now (from the root namespace, no proxy). */
  async answers(): Promise<boolean> {
    const probe = new Redis({
      host: this.host.address,
      port: REDIS_PORT,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 500,
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  pause(): void {
    this.child?.kill("SIGSTOP");
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await exited;
    this.child = undefined;
  }

  dispose(): void {
    this.child?.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
