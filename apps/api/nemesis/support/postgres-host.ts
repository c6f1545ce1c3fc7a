import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { until } from "../../test/support/poll.js";
import type { Host } from "./topology.js";
import { NAME_PREFIX, SUBNET } from "./topology.js";

/** Debian's newest PostgreSQL binaries. */
function postgresBin(): string {
  const versions = readdirSync("/usr/lib/postgresql")
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => b - a);
  if (versions.length === 0) throw new Error("no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)");
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/**
 * The suite's own Postgres (never the shared one): initdb in a temp dir and
 * `postgres` run as the postgres user inside the host's namespace, trust
 * auth for the suite's subnet, nothing fsynced.
 */
export class PostgresHost {
  private constructor(
    readonly host: Host,
    private readonly dir: string,
  ) {}

  static async start(host: Host): Promise<PostgresHost> {
    const bin = postgresBin();
    const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}pg-`));
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
    const data = join(dir, "data");
    execFileSync("runuser", ["-u", "postgres", "--", `${bin}/initdb`, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], {
      stdio: "ignore",
    });
    appendFileSync(join(data, "pg_hba.conf"), `\nhost all all ${SUBNET}.0/24 trust\n`);
    // prettier-ignore
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        host.namespace,
        "runuser",
        "-u",
        "postgres",
        "--",
        `${bin}/postgres`,
        "-D",
        data,
        "-c",
        `listen_addresses=${host.address}`,
        "-c",
        "port=5432",
        "-c",
        `unix_socket_directories=${dir}`,
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "max_connections=300",
      ],
      { stdio: "ignore", detached: false },
    );
    child.unref();
    const server = new PostgresHost(host, dir);
    await until(
      "the suite's postgres to accept connections",
      async () => {
        const client = new pg.Client({ connectionString: server.directUrl, connectionTimeoutMillis: 1_000 });
        client.on("error", () => {});
        try {
          await client.connect();
          await client.query("SELECT 1");
          return true;
        } finally {
          await client.end().catch(() => {});
        }
      },
      20_000,
    );
    return server;
  }

  /** The URL from the root namespace, bypassing every proxy (for the checker's own reads). */
  get directUrl(): string {
    return `postgres://postgres@${this.host.address}:5432/postgres`;
  }

  /** Removes the data directory (the process dies with its namespace). */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
