import { seededRandom as prng } from "@hoard/test-servers";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../src/options.js";
import { waitUntil } from "./support/clock.js";
import { type CacheWorker, workerSuite } from "./support/worker.js";

type BatchReply = { loaded: string[]; rows: (string | null)[]; counters: { lockTimeouts: number; lockWaits: number } };

/** How many times each id was loaded, over every process's reply. */
function loadsPerId(replies: BatchReply[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const reply of replies) for (const id of reply.loaded) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

function page(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, n) => from + n);
}

/**
 * getOrSetMany with distributed protection across real processes: ids another
 * instance is loading (it holds their locks) are waited on, the rest are loaded
 * in one batch call, so the cluster loads each id of a cold page once.
 */
describe("getOrSetMany across processes (distributed protection per id)", () => {
  const suite = workerSuite("batch-procs");

  it("3 processes asking for the same cold page of 50 ids at once load each id exactly once cluster-wide", async () => {
    const workers = await suite.start(3);
    const ids = page(1_000, 50);
    const replies = await Promise.all(workers.map((worker) => worker.call<BatchReply>("batch", { ids, loaderMs: 150 })));
    const counts = loadsPerId(replies);
    const loaderCalls = replies.map((reply) => reply.loaded.length);
    console.log(`same cold page x3 processes: ids loaded per process ${loaderCalls.join(", ")} (sum target 50)`);
    expect([...counts.keys()].sort()).toEqual(ids.map(String).sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    for (const reply of replies) expect(reply.rows).toEqual(ids.map((id) => `row ${id}`));
  });

  it("mixed overlapping pages (random) from 3 processes load each id at most once", async () => {
    const seed = Number(process.env.BATCH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`batch pages seed ${seed} (replay: BATCH_SEED=${seed} npx vitest run test/batch-processes.test.ts)`);
    const random = prng(seed);
    const workers = await suite.start(3);
    const calls: Promise<BatchReply>[] = [];
    const asked: number[][] = [];
    for (const worker of workers) {
      for (let n = 0; n < 4; n++) {
        const size = 5 + Math.floor(random() * 30);
        const ids = Array.from({ length: size }, () => 2_000 + Math.floor(random() * 80));
        asked.push(ids);
        calls.push(worker.call<BatchReply>("batch", { ids, loaderMs: Math.floor(random() * 100) }));
      }
    }
    const replies = await Promise.all(calls);
    const counts = loadsPerId(replies);
    const twice = [...counts].filter(([, count]) => count > 1);
    const timeouts = Math.max(...replies.map((reply) => reply.counters.lockTimeouts));
    console.log(
      `batch pages seed ${seed}: ${counts.size} distinct ids loaded, ${twice.length} loaded more than once, lock timeouts ${timeouts}`,
    );
    expect(twice).toEqual([]);
    for (const [n, reply] of replies.entries()) expect(reply.rows).toEqual((asked[n] as number[]).map((id) => `row ${id}`));
  });

  it("a lock holder killed mid-batch: the others load the free ids at once and take its ids over within about one lock TTL, each id once", async () => {
    const [holder, ...others] = (await suite.start(3)) as [CacheWorker, ...CacheWorker[]];
    const ids = page(3_000, 50);
    const held = ids.slice(0, 25);
    const loading = holder.next((event) => event.event === "batch-loading");
    void holder.call("batch", { ids: held, hang: true, announce: true }).catch(() => {});
    await loading;
    // Loader calls the survivors make while the holder is alive: only the ids nobody holds.
    const beforeKill: string[] = [];
    const watch = (event: Record<string, unknown>) => {
      if (event.event === "batch-loading") beforeKill.push(...(event.ids as string[]));
    };
    for (const worker of others) worker.child.on("message", watch);
    const started = performance.now();
    const waiting = others.map((worker) => worker.call<BatchReply>("batch", { ids, loaderMs: 50, announce: true }));
    await waitUntil(() => beforeKill.length >= 25, 5_000, "the survivors' load of the free ids");
    const freeIdsMs = performance.now() - started;
    const loadedWhileHeld = [...beforeKill];
    for (const worker of others) worker.child.off("message", watch);
    await holder.kill("SIGKILL");
    const replies = await Promise.all(waiting);
    const tookMs = performance.now() - started;
    const counts = loadsPerId(replies);
    console.log(
      `batch takeover: free ids loaded ${Math.round(freeIdsMs)} ms after asking; ${[...counts.values()].reduce((a, b) => a + b, 0)} loads ` +
        `by the survivors (target 50), done ${Math.round(tookMs)} ms after they asked (lockTtlMs ${DEFAULT_POLICY.lockTtlMs})`,
    );
    expect(loadedWhileHeld.sort()).toEqual(ids.slice(25).map(String).sort());
    expect([...counts.keys()].sort()).toEqual(ids.map(String).sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    for (const reply of replies) expect(reply.rows).toEqual(ids.map((id) => `row ${id}`));
    // About one lock TTL (the holder renewed until it died) plus a load; far under lockWaitTimeoutMs.
    expect(tookMs).toBeLessThan(DEFAULT_POLICY.lockTtlMs * 2 + 500);
  });
});
