import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Cluster, Redis } from "ioredis";
import { pollUntil } from "./poll.js";
import { freePort } from "./ports.js";

const run = promisify(execFile);

interface ClusterNodeProcess {
  port: number;
  busPort: number;
  child: ChildProcess;
}

/**
 * A real Redis Cluster of `masters` redis-server processes (no replicas) on
 * free ports, made with `redis-cli --cluster create`, nothing persisted.
 * Stopped by pid. Each node's bus port is a free port too (`--cluster-port`),
 * so nothing assumes port + 10000 is free.
 */
export class RedisClusterServers {
  private readonly dir = mkdtempSync(join(tmpdir(), "hoard-redis-cluster-"));

  private constructor(private readonly nodes: ClusterNodeProcess[]) {}

  /** Starts the nodes, joins them into one cluster and waits for `cluster_state:ok` on every node. */
  static async start(masters = 3): Promise<RedisClusterServers> {
    const servers = new RedisClusterServers([]);
    try {
      for (let i = 0; i < masters; i++) {
        const taken = servers.nodes.flatMap((node) => [node.port, node.busPort]);
        const port = await freePort(undefined, taken);
        const busPort = await freePort(undefined, [...taken, port]);
        servers.nodes.push({ port, busPort, child: servers.spawnNode(port, busPort) });
      }
      await Promise.all(servers.nodes.map((node) => pollUntil(`redis-server on ${node.port}`, () => servers.pings(node), 10_000)));
      await run("redis-cli", ["--cluster", "create", ...servers.addresses, "--cluster-yes"], { timeout: 30_000 });
      await servers.waitHealthy();
      return servers;
    } catch (error) {
      await servers.stop();
      throw error;
    }
  }

  /** `host:port` of every node (the form REDIS_CLUSTER_NODES takes). */
  get addresses(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  get ports(): number[] {
    return this.nodes.map((node) => node.port);
  }

  get pids(): number[] {
    return this.nodes.map((node) => node.child.pid as number);
  }

  /** A cluster client on these nodes (the caller closes it). */
  client(): Cluster {
    return new Cluster(this.nodes.map((node) => ({ host: "127.0.0.1", port: node.port })));
  }

  /** Resolves once every node reports `cluster_state:ok` and knows every other node. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await pollUntil(
      "cluster_state:ok on every node",
      async () => {
        const infos = await Promise.all(this.nodes.map((node) => this.command(node.port, (redis) => redis.cluster("INFO"))));
        return infos.every((info) => info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${this.nodes.length}`));
      },
      timeoutMs,
      50,
    );
  }

  /** Kills every node (SIGKILL, by pid) and removes the config files. */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        const { child } = node;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawnNode(port: number, busPort: number): ChildProcess {
    // prettier-ignore
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      `nodes-${port}.conf`,
      "--cluster-port",
      String(busPort),
      "--cluster-node-timeout",
      "5000",
      "--save",
      "",
      "--appendonly",
      "no",
    ];
    return spawn("redis-server", args, { stdio: "ignore" });
  }

  private async pings(node: ClusterNodeProcess): Promise<boolean> {
    if (node.child.exitCode !== null) throw new Error(`redis-server on ${node.port} exited with ${node.child.exitCode}`);
    return (await this.command(node.port, (redis) => redis.ping())) === "PONG";
  }

  private async command<T>(port: number, call: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    redis.on("error", () => {}); // the failure reaches the caller through the rejected command
    try {
      await redis.connect();
      return await call(redis);
    } finally {
      redis.disconnect();
    }
  }
}
