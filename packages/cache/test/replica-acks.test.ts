import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, pollUntil } from "@hoard/test-servers";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCache } from "../src/index.js";
import { recordingLogger } from "./support/cache.js";
import { OwnRedisServer } from "./support/redis-server.js";

/**
 * `replicaAcks`: a delete counts as done only once a replica has it. Redis replicates asynchronously, so a
 * failover to a replica that had not received a delete would serve the removed value (nemesis seed 3, on the
 * cluster: an instance answered v6 right after acknowledging v7). Here a primary of the test's own has one
 * replica; SIGSTOPping the replica makes WAIT time out.
 */
describe("deletes confirmed by a replica (replicaAcks)", () => {
  let primary: OwnRedisServer;
  let replica: ChildProcess;
  let replicaPort: number;
  // A replica writes the primary's snapshot to its working directory when it syncs, whatever --save says:
  // a folder of its own, so no dump.rdb lands in the checkout.
  const replicaDir = mkdtempSync(join(tmpdir(), "hoard-replica-"));

  beforeAll(async () => {
    primary = await OwnRedisServer.start();
    replicaPort = await freePort(undefined, [primary.port]);
    replica = spawn(
      "redis-server",
      [
        "--port",
        String(replicaPort),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        replicaDir,
        "--replicaof",
        "127.0.0.1",
        String(primary.port),
      ],
      { stdio: "ignore" },
    );
    const probe = new Redis(replicaPort, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 1 });
    probe.on("error", () => {});
    try {
      await pollUntil("the replica to sync", async () => (await probe.info("replication")).includes("master_link_status:up"), 10_000, 50);
    } finally {
      probe.disconnect();
    }
  });
  afterAll(async () => {
    replica?.kill("SIGCONT");
    replica?.kill("SIGKILL");
    await primary?.dispose();
    rmSync(replicaDir, { recursive: true, force: true });
  });

  it("a delete the replica confirms is done; one it cannot confirm stays pending, keeps reads off L2, and lands once it can", async () => {
    const cache = createCache({
      redis: primary.url,
      prefix: "replica-acks",
      logger: recordingLogger(),
      replicaAcks: 1,
      replicaAckTimeoutMs: 100,
      defaults: { jitter: 0, ttlMs: 60_000 },
    });
    const raw = new Redis(primary.url);
    try {
      await cache.ready();
      const ns = cache.namespace<string>("n");
      let row = "v1";
      const loader = async () => row;
      expect(await ns.getOrSet("k", loader)).toBe("v1");
      row = "v2";
      expect(await ns.delete("k")).toBe(true); // the replica confirmed it
      expect(await ns.getOrSet("k", loader)).toBe("v2");
      expect(cache.stats().l2.pendingInvalidations).toBe(0);

      // What a replica that missed the next delete would still hold: the entry's bytes as they are now.
      const [valueKey] = (await raw.keys("replica-acks:*")).filter((key) => key.endsWith(":{k}"));
      expect(valueKey).toBeDefined();
      const missedByTheReplica = (await raw.dumpBuffer(valueKey as string)) as Buffer;

      replica.kill("SIGSTOP"); // the replica receives nothing more: WAIT cannot be satisfied
      row = "v3";
      expect(await ns.delete("k")).toBe(false); // written on the primary, not confirmed
      expect(cache.stats().l2.pendingInvalidations).toBe(1);
      // A failover to that replica would bring the old entry back: put it back by hand. While the delete is
      // unconfirmed, the read does not take it from L2: the loader answers.
      await raw.restore(valueKey as string, 0, missedByTheReplica, "REPLACE");
      expect(await ns.getOrSet("k", loader)).toBe("v3");

      replica.kill("SIGCONT");
      await pollUntil("the pending delete to be replayed and confirmed", () => cache.stats().l2.pendingInvalidations === 0, 10_000, 50);
    } finally {
      replica.kill("SIGCONT");
      raw.disconnect();
      await cache.close();
    }
  });

  it("replicaAcks is validated", () => {
    expect(() => createCache({ redis: false, replicaAcks: -1 })).toThrow(/replicaAcks/);
    expect(() => createCache({ redis: false, replicaAcks: 1.5 })).toThrow(/replicaAcks/);
  });
});
