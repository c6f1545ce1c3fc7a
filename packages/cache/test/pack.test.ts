import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropPrefix, inspector, ON_CLUSTER, REDIS_URL } from "./support/redis.js";

/**
 * The package as a team installs it: `pnpm pack`, then `npm install` of the tarball with ioredis
 * into a scratch project outside the workspace (no workspace node_modules above it to hide a missing
 * dependency). There an ESM script does a getOrSet against the real Redis and a TypeScript consumer
 * type-checks with `moduleResolution: nodenext`; all without the optional peers. Last, the app installs
 * `@opentelemetry/api` and the tarball's getOrSet records spans through the app's (ESM) copy of it.
 */
const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const PNPM = ["-y", "pnpm@12.4.2"];

/** Runs a command; resolves with its output and exit code (never rejects on a non-zero exit). */
async function sh(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? "", stderr: failed.stderr ?? "", exitCode: typeof failed.code === "number" ? failed.code : 1 };
  }
}

/** `sh` that throws with the output when the command fails. */
async function must(command: string, args: string[], cwd: string): Promise<void> {
  const result = await sh(command, args, { cwd });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.exitCode}):\n${result.stdout}${result.stderr}`);
}

describe.skipIf(ON_CLUSTER)("the packed package installs and runs on its own", () => {
  let scratch = "";
  const prefix = `t-pack-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "hoard-pack-"));
    // The tarball carries dist/: build it from the sources under test first.
    await must("npx", ["--no-install", "tsc", "-p", "tsconfig.build.json"], packageDir);
    const packed = join(scratch, "packed");
    mkdirSync(packed);
    await must("npx", [...PNPM, "pack", "--pack-destination", packed], packageDir);
    const tarball = readdirSync(packed).find((name) => name.endsWith(".tgz"));
    if (!tarball) throw new Error(`pnpm pack left no tarball in ${packed}`);
    const app = join(scratch, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    await must(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        join(packed, tarball),
        "ioredis@6.0.0",
        "typescript@5.9.3",
        "@types/node@20.19.43",
      ],
      app,
    );
    writeFileSync(
      join(app, "main.js"),
      `import { createCache, LoaderError } from "@hoard/cache";
const cache = createCache({ redis: process.env.REDIS_URL, prefix: process.env.PREFIX, logger: { warn: () => {} } });
await cache.ready();
const users = cache.namespace("user", { ttlMs: 60_000 });
let loads = 0;
const first = await users.getOrSet(42, async ({ id }) => { loads++; return { id, name: "ada" }; });
const again = await users.getOrSet(42, async () => { loads++; return null; });
const failed = await users.getOrSet(43, () => { throw new Error("db down"); }).catch((error) => error instanceof LoaderError);
console.log(JSON.stringify({ first, again, loads, failed, l2: cache.stats().l2.status }));
await cache.close();
`,
    );
    writeFileSync(
      join(app, "consumer.ts"),
      `import { type Cache, type CacheOptions, createCache, InvalidOptionError, type LoaderContext, type Namespace } from "@hoard/cache";
import { registerCacheMetrics } from "@hoard/cache/prometheus";

interface User { id: number; name: string }
const options: CacheOptions = { redis: "redis://127.0.0.1:6379", prefix: "app", l1: { maxEntries: 100 } };
const cache: Cache = createCache(options);
const users: Namespace<User> = cache.namespace<User>("user", { version: 2, ttlMs: 60_000 });
export async function byId(id: number): Promise<User | null> {
  return users.getOrSet(id, async ({ signal }: LoaderContext<string | number>) => (signal.aborted ? null : { id, name: "ada" }));
}
export const isOptionError = (error: unknown): boolean => error instanceof InvalidOptionError;
export type Register = typeof registerCacheMetrics;
// @ts-expect-error a namespace of User holds no strings
users.set(1, "not a user");
`,
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          types: ["node"],
          // prom-client is an optional peer: the consumer that imports ./prometheus installs it; its types are not checked here.
          skipLibCheck: true,
        },
        files: ["consumer.ts"],
      }),
    );
  }, 240_000);

  afterAll(async () => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    const redis = inspector();
    await dropPrefix(redis, prefix);
    await redis.quit();
  });

  const app = () => join(scratch, "app");
  const run = () => sh("node", ["main.js"], { cwd: app(), env: { REDIS_URL, PREFIX: prefix } });

  it("an ESM script does a getOrSet against the real Redis (second call served from the cache)", async () => {
    const result = await run();
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      first: { id: 42, name: "ada" },
      again: { id: 42, name: "ada" },
      loads: 1,
      failed: true,
      l2: "ready",
    });
  });

  it("a TypeScript consumer type-checks with moduleResolution nodenext", async () => {
    const result = await sh("npx", ["tsc", "-p", "."], { cwd: app() });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });

  it("the check catches a missing runtime dependency (zod hidden from the scratch project)", async () => {
    const zod = join(app(), "node_modules", "zod");
    renameSync(zod, `${zod}-hidden`);
    try {
      const result = await run();
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/Cannot find package 'zod'/);
    } finally {
      renameSync(`${zod}-hidden`, zod);
    }
  });

  it("records spans once the app installs @opentelemetry/api (its ESM build) and registers a provider", async () => {
    // Runs last: the tests above ran without the optional peer, as most installs will.
    await must(
      "npm",
      ["install", "--no-audit", "--no-fund", "--loglevel=error", "@opentelemetry/api@1.10.0", "@opentelemetry/sdk-trace@3.1.0"],
      app(),
    );
    writeFileSync(
      join(app(), "traced.js"),
      `import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { createCache } from "@hoard/cache";
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
const cache = createCache({ redis: process.env.REDIS_URL, prefix: process.env.PREFIX, logger: { warn: () => {} } });
await cache.ready();
await cache.namespace("traced").getOrSet(1, () => "value");
console.log(JSON.stringify(exporter.getFinishedSpans().map((span) => [span.name, span.attributes["hoard.tier"] ?? null])));
await cache.close();
`,
    );
    const result = await sh("node", ["traced.js"], { cwd: app(), env: { REDIS_URL, PREFIX: prefix } });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([
      ["load traced", null],
      ["getOrSet traced", "loader"],
    ]);
  }, 120_000);
});
