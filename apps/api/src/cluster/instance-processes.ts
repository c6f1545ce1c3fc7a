import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { instanceEnvironment } from "../config.js";

// server.ts next to src/: under tsx (execArgv, with its loader and --conditions=source, is inherited) or dist/ under node.
const SERVER = fileURLToPath(new URL(`../server${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

/** API instances as child processes on consecutive ports, one cluster (same env but PORT). */
export class InstanceProcesses {
  private readonly children = new Map<number, ChildProcess>();
  private stopping = false;

  /**
   * @param ports the instances' ports, one process each
   * @param env variables every instance gets on top of this process's environment (undefined removes one)
   * @param onExit called when an instance exits while the set is not stopping
   */
  constructor(
    readonly ports: number[],
    private readonly env: Record<string, string | undefined>,
    private readonly onExit: (port: number, code: number | null, signal: NodeJS.Signals | null) => void = () => {},
  ) {}

  /** `http://127.0.0.1:<port>` of every instance whose process runs. */
  live(): string[] {
    return [...this.children.keys()].map((port) => `http://127.0.0.1:${port}`);
  }

  start(): void {
    for (const port of this.ports) this.spawn(port);
  }

  /** Restarts the instances one after the other, each once the previous one answers /readyz, so the cluster stays up. */
  async restartRolling(timeoutMs = 30_000): Promise<void> {
    for (const port of this.ports) {
      if (this.stopping) return;
      await this.stopOne(port);
      if (this.stopping) return;
      this.spawn(port);
      await waitForReady(`http://127.0.0.1:${port}`, timeoutMs);
    }
  }

  /** SIGTERM to every instance (a terminal's Ctrl-C may have sent them SIGINT already), then waits for them to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.ports.map((port) => this.stopOne(port)));
  }

  private spawn(port: number): void {
    const child = fork(SERVER, [], { env: instanceEnvironment({ ...this.env, PORT: String(port) }) });
    this.children.set(port, child);
    child.once("exit", (code, signal) => {
      if (this.children.get(port) === child) this.children.delete(port);
      if (!this.stopping && !child.killed) this.onExit(port, code, signal);
    });
  }

  private async stopOne(port: number): Promise<void> {
    const child = this.children.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(force);
  }
}

/** Polls `url/readyz` until it answers 200; false at the deadline. */
export async function waitForReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
