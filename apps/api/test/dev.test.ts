import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePortRun } from "@hoard/test-servers";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readPostmaster } from "../src/db/postmaster.js";
import { until } from "./support/poll.js";
import { dropPrefix, uniquePrefix } from "./support/redis.js";

// `pnpm dev` itself (src/dev.ts under tsx): two instances on the real Redis, the embedded PostgreSQL in a temp DATA_DIR.
const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));
const prefix = uniquePrefix("dev");
let dataDir: string;

function runDev(port: number): { child: ChildProcess; output: () => string; exit: Promise<number | null>; exited: () => boolean } {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "src/dev.ts", "--instances", "2"], {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: dataDir, CACHE_PREFIX: prefix, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exit, exited: () => child.exitCode !== null || child.signalCode !== null };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "hoard-dev-"));
  await chmod(dataDir, 0o755);
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await dropPrefix(prefix);
});

it("a busy port is said in one line, before anything starts", async () => {
  const holder = createServer();
  const port = await freePortRun(1);
  await new Promise<void>((resolve) => holder.listen(port, resolve));
  try {
    const dev = runDev(port);
    expect(await dev.exit).toBe(1);
    expect(dev.output().trim().split("\n")).toEqual([
      `Port ${port} is already in use (another pnpm dev?): stop it, or run with PORT=<another port>.`,
    ]);
    await expect(stat(join(dataDir, "postgres"))).rejects.toThrow(); // no database was started
  } finally {
    holder.close();
  }
});

it("serves the admin UI from Vite, keeps one admin token across restarts, and Ctrl-C stops everything with exit 0", async () => {
  const port = await freePortRun(3); // the entry point and its 2 instances
  const tokens: string[] = [];
  for (let run = 0; run < 2; run++) {
    const dev = runDev(port);
    await until("pnpm dev to be ready", () => dev.output().includes("Hoard dev:") || dev.exited(), 90_000);
    expect(dev.output()).toMatch(/2 instances/);
    const login = /#token=([A-Za-z0-9_-]+)/.exec(dev.output());
    tokens.push(login?.[1] as string);
    expect(((await stat(join(dataDir, "admin-token"))).mode & 0o777).toString(8)).toBe("600");
    expect((await readFile(join(dataDir, "admin-token"), "utf8")).trim()).toBe(login?.[1]);

    const html = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(html).toMatch(/<div id="root">/);
    const script = /<script type="module" src="(\/src\/main\.tsx)">/.exec(html)?.[1];
    const module = await fetch(`http://127.0.0.1:${port}${script}`);
    expect(module.headers.get("content-type")).toMatch(/javascript/);
    expect(await module.text()).toMatch(/createRoot/);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ postgres: { mode: "embedded" }, redis: { state: "up" } });

    dev.child.kill("SIGINT");
    expect(await dev.exit).toBe(0);
    expect(dev.output()).not.toMatch(/ELIFECYCLE|Error/);
    expect(await readPostmaster(join(dataDir, "postgres"))).toBeUndefined(); // the database stopped cleanly, last
  }
  expect(tokens[1]).toBe(tokens[0]);
}, 240_000);
