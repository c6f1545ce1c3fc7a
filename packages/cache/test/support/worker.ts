import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach } from "vitest";
import type { RedisTarget } from "./redis.js";
import { dropPrefix, inspector, REDIS_TARGET, uniquePrefix } from "./redis.js";

const WORKER = fileURLToPath(new URL("../processes/cache-worker.ts", import.meta.url));

/** A cache in another OS process, driven over IPC. */
export class CacheWorker {
  private nextId = 1;
  private readonly replies = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly listeners: ((event: Record<string, unknown>) => void)[] = [];

  private constructor(readonly child: ChildProcess) {
    child.on("message", (message: Record<string, unknown>) => {
      if (typeof message.id === "number") {
        const reply = this.replies.get(message.id);
        this.replies.delete(message.id);
        if (message.ok) reply?.resolve(message.value);
        else reply?.reject(new Error(String(message.error)));
      } else {
        for (const listener of this.listeners) listener(message);
      }
    });
    child.on("exit", () => {
      for (const reply of this.replies.values()) reply.reject(new Error("worker exited"));
      this.replies.clear();
    });
  }

  /** Forks a worker (TypeScript through tsx) and initialises its cache. */
  static async start(init: { redis: RedisTarget; prefix: string; options?: object }): Promise<CacheWorker> {
    const child = fork(WORKER, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const worker = new CacheWorker(child);
    await worker.next((event) => event.event === "ready", 20_000);
    await worker.call("init", init);
    return worker;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  call<T = unknown>(op: string, args: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.replies.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  /** Resolves with the first event matching `match` (bounded by `timeoutMs`). */
  next(match: (event: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("worker event timed out")), timeoutMs);
      const listener = (event: Record<string, unknown>) => {
        if (!match(event)) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        resolve(event);
      };
      this.listeners.push(listener);
    });
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill(signal);
    return exited;
  }
}

/**
 * Gives a suite its own key prefix and a pool of worker processes: `start(n)`
 * forks n workers; each test's workers are killed after it, and the prefix is
 * dropped after the suite.
 */
export function workerSuite(name: string) {
  const redis = inspector();
  const prefix = uniquePrefix(name);
  let workers: CacheWorker[] = [];
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    workers = [];
  });
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    await redis.quit();
  });
  return {
    redis,
    prefix,
    /** Forks `count` workers on the suite's prefix (cache options passed to each). */
    async start(count: number, options: object = {}): Promise<CacheWorker[]> {
      workers = await Promise.all(Array.from({ length: count }, () => CacheWorker.start({ redis: REDIS_TARGET, prefix, options })));
      return workers;
    },
    get workers(): CacheWorker[] {
      return workers;
    },
  };
}
