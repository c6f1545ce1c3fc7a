import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Which of the machine's nemesis networks this run uses (NEMESIS_SLOT, 0-9, default 0): runs in
 * different slots share nothing (names, subnet, run lock), so two can run at once on one machine.
 */
export const SLOT = nemesisSlot(process.env.NEMESIS_SLOT);
/** Every name this suite creates starts with this, so a killed run's leftovers can be found and removed. */
export const NAME_PREFIX = SLOT === 0 ? "hoard-nm-" : `hoard-nm${SLOT}-`;
/** Root-side veth names (Linux allows 15 characters). */
const VETH_PREFIX = SLOT === 0 ? "hnm-" : `hnm${SLOT}-`;
const BRIDGE = `${NAME_PREFIX}br`;
/** The suite's own private subnet (10.77.<slot>.0/24); the bridge (the test process, where the proxies listen) is .1. */
export const SUBNET = `10.77.${SLOT}`;

function nemesisSlot(value: string | undefined): number {
  const slot = Number(value ?? 0);
  if (!Number.isInteger(slot) || slot < 0 || slot > 9) throw new Error(`NEMESIS_SLOT must be 0-9, got ${value}`);
  return slot;
}
export const BRIDGE_ADDRESS = `${SUBNET}.1`;

/** One simulated host: a network namespace with one veth on the bridge. */
export interface Host {
  name: string;
  namespace: string;
  address: string;
}

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // cleanup of something already gone
  }
}

/**
 * The suite's hosts: one network namespace per API instance, Redis node and
 * Postgres, each with a veth pair onto one bridge on 10.77.0.0/24. The test
 * process stays in the root namespace on the bridge address; every link
 * between hosts goes through a proxy there, which is where faults are put.
 */
export class Topology {
  readonly hosts = new Map<string, Host>();

  /** Creates the bridge (after removing whatever a killed run left behind). */
  static create(): Topology {
    Topology.removeLeftovers();
    ip("link", "add", BRIDGE, "type", "bridge");
    ip("addr", "add", `${BRIDGE_ADDRESS}/24`, "dev", BRIDGE);
    ip("link", "set", BRIDGE, "up");
    return new Topology();
  }

  /** Adds host `name` at 10.77.0.`octet`. */
  addHost(name: string, octet: number): Host {
    const namespace = `${NAME_PREFIX}${name}`;
    const address = `${SUBNET}.${octet}`;
    const outside = `${VETH_PREFIX}${name}`;
    const inside = `${VETH_PREFIX}${name}p`;
    ip("netns", "add", namespace);
    ip("link", "add", outside, "type", "veth", "peer", "name", inside);
    ip("link", "set", inside, "netns", namespace);
    ip("link", "set", outside, "master", BRIDGE);
    ip("link", "set", outside, "up");
    ip("-n", namespace, "link", "set", "lo", "up");
    ip("-n", namespace, "link", "set", inside, "name", "eth0");
    ip("-n", namespace, "addr", "add", `${address}/24`, "dev", "eth0");
    ip("-n", namespace, "link", "set", "eth0", "up");
    const host = { name, namespace, address };
    this.hosts.set(name, host);
    return host;
  }

  host(name: string): Host {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${name}`);
    return host;
  }

  /**
   * Removes every namespace (with the processes in it), veth, the bridge and the temp directories this
   * suite creates (synchronous: safe in an exit handler). Only under the run lock (run-lock.ts).
   */
  static removeLeftovers(): void {
    let namespaces: string[] = [];
    try {
      namespaces = ip("netns", "list")
        .split("\n")
        .map((line) => line.split(" ")[0] ?? "")
        .filter((name) => name.startsWith(NAME_PREFIX));
    } catch {
      namespaces = [];
    }
    for (const namespace of namespaces) {
      // Processes a killed run left in its namespaces (ours by construction: only this suite uses the prefix).
      try {
        for (const pid of ip("netns", "pids", namespace).split("\n").filter(Boolean)) {
          try {
            process.kill(Number(pid), "SIGKILL");
          } catch {
            // already gone
          }
        }
      } catch {
        // namespace already half gone
      }
      tryIp("netns", "delete", namespace);
    }
    try {
      for (const line of ip("-o", "link", "show").split("\n")) {
        const name = line.split(": ")[1]?.split("@")[0];
        if (name?.startsWith(VETH_PREFIX)) tryIp("link", "delete", name);
      }
    } catch {
      // no links to list
    }
    tryIp("link", "delete", BRIDGE);
    // Data directories of the suite's Postgres and Redis hosts (theirs died with the namespaces above).
    for (const entry of readdirSync(tmpdir()))
      if (entry.startsWith(NAME_PREFIX)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }

  /** Tears everything down. */
  destroy(): void {
    Topology.removeLeftovers();
    this.hosts.clear();
  }
}
