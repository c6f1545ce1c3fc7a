import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { until } from "../../test/support/poll.js";
import type { Host } from "./topology.js";

const API_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const API_PORT = 3000;
/** Output that means a bug, whatever else happens: a crash, or a request that ended in a 500. */
const ALARMING = /unhandled|uncaught|unhandledRejection|FATAL|internal error/i;

/** What went wrong with one instance process that the nemesis did not cause. */
export interface InstanceIncident {
  instance: number;
  at: number;
  what: string;
}

/**
 * One API instance in its own namespace (`src/server.ts` under tsx, so no
 * build is needed). It tells an exit the nemesis asked for from a crash, and
 * keeps alarming output lines.
 */
export class ApiHost {
  private child: ChildProcess | undefined;
  private expectExit = false;
  readonly incidents: InstanceIncident[] = [];
  /** The last lines of output, for a failure report. */
  private tail: string[] = [];

  constructor(
    readonly index: number,
    readonly host: Host,
    private readonly env: () => Record<string, string>,
  ) {}

  get url(): string {
    return `http://${this.host.address}:${API_PORT}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until it answers /healthz. */
  async start(timeoutMs = 45_000): Promise<void> {
    this.expectExit = false;
    const child = spawn(
      "ip",
      ["netns", "exec", this.host.namespace, process.execPath, "--conditions=source", "--import", "tsx", "src/server.ts"],
      {
        cwd: API_ROOT,
        env: {
          ...process.env,
          ...this.env(),
          PORT: String(API_PORT),
          HOST: this.host.address,
          PUBLIC_URL: this.url,
          LOG_LEVEL: "error",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        this.tail = [...this.tail.slice(-20), line];
        if (ALARMING.test(line)) this.incidents.push({ instance: this.index, at: Date.now(), what: line.slice(0, 400) });
      }
    };
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", onOutput);
    child.once("exit", (code, signal) => {
      if (!this.expectExit) this.incidents.push({ instance: this.index, at: Date.now(), what: `exited (code ${code}, signal ${signal})` });
    });
    await until(
      `instance ${this.index} to answer /healthz`,
      async () => {
        if (child.exitCode !== null) throw new Error(`instance ${this.index} exited: ${this.tail.join("\n")}`);
        return (await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok;
      },
      timeoutMs,
    );
  }

  /** SIGKILL (an expected exit) and wait for it. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectExit = true;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** The last output lines (for failure reports). */
  lastOutput(): string {
    return this.tail.join("\n");
  }
}
