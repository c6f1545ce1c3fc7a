import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePortRun } from "@hoard/test-servers";
import { expect, test } from "@playwright/test";
import { E2E } from "./support/env.js";

/**
 * The README's run line on a fresh clone: `git clone` of this repository's committed HEAD into a temp folder,
 * `pnpm install --frozen-lockfile` (pnpm's store makes it quick), `pnpm dev`, then the browser opens the
 * login link: the real admin UI loads its script and renders the dashboard (never a placeholder). Also
 * measures the time from `pnpm dev` to a usable page, and checks Ctrl-C ends it with no pnpm error.
 */
const REPO = fileURLToPath(new URL("..", import.meta.url));
const PNPM = ["-y", "pnpm@12.4.2"];
const run = promisify(execFile);

test("a fresh clone's pnpm dev serves the real admin UI on a 3-instance cluster", async ({ page }) => {
  test.setTimeout(420_000);
  const folder = await mkdtemp(join(tmpdir(), "hoard-fresh-clone-"));
  await chmod(folder, 0o755); // as root the embedded PostgreSQL runs as the postgres user, which must reach DATA_DIR
  const clone = join(folder, "hoard");
  let dev: ChildProcess | undefined;
  try {
    await run("git", ["clone", "--quiet", REPO, clone]);
    const installStarted = Date.now();
    await run("npx", [...PNPM, "install", "--frozen-lockfile", "--prefer-offline"], { cwd: clone, timeout: 240_000, maxBuffer: 16 << 20 });
    const installSeconds = (Date.now() - installStarted) / 1000;

    const port = await freePortRun(4); // the entry point and its 3 instances
    const devStarted = Date.now();
    // Its own process group, so the SIGINT below reaches every process the way a terminal's Ctrl-C does.
    dev = spawn("npx", [...PNPM, "dev"], {
      cwd: clone,
      detached: true,
      env: { ...process.env, PORT: String(port), CACHE_PREFIX: `${E2E.cachePrefix}-fresh`, ADMIN_TOKEN: "", DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    dev.stdout?.on("data", (chunk) => (output += chunk));
    dev.stderr?.on("data", (chunk) => (output += chunk));
    await expect
      .poll(() => /admin login[^\n]*(http:\/\/\S+)/.exec(output)?.[1] ?? (dev?.exitCode !== null ? "exited" : ""), { timeout: 180_000 })
      .toMatch(/^http/);
    const login = /admin login[^\n]*(http:\/\/\S+)/.exec(output)?.[1] as string;
    expect(output).toMatch(/3 instances/);

    // The dev entry sends the security headers too, with the CSP relaxed for Vite (React refresh's inline script, HMR):
    // nothing the page needs may be blocked.
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const first = await page.goto(login);
    expect(first?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(first?.headers()["x-content-type-options"]).toBe("nosniff");
    await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible({ timeout: 120_000 }); // first load: Vite pre-bundles the dependencies
    const usableSeconds = (Date.now() - devStarted) / 1000;
    expect(page.url()).not.toContain("#token=");
    // The page runs Vite's module graph (hot reload), not a build or a placeholder.
    expect(await page.evaluate(() => Array.from(document.scripts).some((script) => script.src.endsWith("/@vite/client")))).toBe(true);

    // The login link opened again in this open tab (only the fragment changes: a hashchange) signs it back in.
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByLabel("Admin token")).toBeVisible();
    await page.goto(login);
    await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
    expect(page.url()).not.toContain("#token=");

    expect(violations, "Content-Security-Policy violations under pnpm dev").toEqual([]);
    console.log(`fresh clone: install ${installSeconds.toFixed(1)} s; pnpm dev to a usable dashboard ${usableSeconds.toFixed(1)} s`);

    const exited = new Promise<number | null>((resolve) => dev?.once("exit", (code) => resolve(code)));
    process.kill(-(dev.pid as number), "SIGINT");
    await exited;
    expect(output).not.toMatch(/ELIFECYCLE|ERR_PNPM/);
  } finally {
    if (dev?.pid && dev.exitCode === null && dev.signalCode === null) process.kill(-dev.pid, "SIGKILL");
    await rm(folder, { recursive: true, force: true });
  }
});
