import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The Redis every benchmark side shares. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix of this run's own; deleted at the end. */
export const RUN_PREFIX = `bench-${randomBytes(3).toString("hex")}`;

/** A user profile like the API's (~0.4 kB as JSON). */
export function profile(id: number) {
  return {
    id,
    username: `user_${id}`,
    email: `user_${id}@example.com`,
    displayName: `User Number ${id}`,
    bio: "Writes about caches, databases and the small hours of on-call. Likes tea, dislikes stampedes.".repeat(2),
    createdAt: "2026-01-02T03:04:05.000Z",
    updatedAt: "2026-03-04T05:06:07.000Z",
    followers: 1234,
    verified: true,
  };
}

/** A ~10 kB object: a profile with a list of recent activity. */
export function largeObject(id: number) {
  return {
    ...profile(id),
    activity: Array.from({ length: 60 }, (_, i) => ({
      at: 1_767_225_600_000 + i * 60_000,
      kind: i % 3 === 0 ? "login" : "view",
      target: `item-${i}`,
      weight: i * 1.5,
    })),
  };
}

/** Awaits `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `url` until it answers 2xx (each try times out after 2 s); throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await delay(100);
  }
}

/**
 * The compiled form (bench/dist, built by `pnpm build` and by `pnpm bench` before it runs) of a script under
 * bench/src that the benchmarks start as a process of its own, e.g. `api-mix/instance`. Plain node starts it
 * with about a third of the CPU that tsx's module hooks take (about 1 s against 3 s), which the rows that
 * start many processes (5, 6, 10) would otherwise spend before measuring anything.
 */
export function compiledScript(name: string): string {
  const path = fileURLToPath(new URL(`../dist/${name}.js`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run pnpm build (or pnpm bench, which builds it) first`);
  return path;
}

/**
 * Forks a compiled script (`compiledScript(name)`) with an IPC channel, its stdout and stderr on this
 * process's. No execArgv: a fork would otherwise inherit this process's `--import tsx` and
 * `--conditions=source`, and run the built code under tsx again.
 */
export function forkCompiled(name: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return fork(compiledScript(name), args, { execArgv: [], env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** Quick mode shortens every row (for `pnpm bench --quick`). */
export const QUICK = process.argv.includes("--quick");
export const scale = (full: number, quick: number) => (QUICK ? quick : full);
