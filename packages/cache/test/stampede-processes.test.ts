import { describe, expect, it } from "vitest";
import { type CacheWorker, workerSuite } from "./support/worker.js";

/**
 * Stampedes across real OS processes: 4 processes x 250 concurrent getOrSet
 * on one cold key, per protection mode.
 */
describe("stampede across 4 processes", () => {
  const suite = workerSuite("stampede");

  const startWorkers = (count: number, options: object = {}) => suite.start(count, options);

  async function stampede(key: string, protection: string) {
    const results = await Promise.all(
      suite.workers.map((worker) =>
        worker.call<{ loads: number; latencies: number[] }>("burst", { key, concurrency: 250, protection, loaderMs: 100 }),
      ),
    );
    return {
      loads: results.reduce((sum, r) => sum + r.loads, 0),
      maxLatencyMs: Math.max(...results.flatMap((r) => r.latencies)),
    };
  }

  it("distributed: the loader runs exactly once in total; local: at most once per process; none: per caller", async () => {
    await startWorkers(4);
    const distributed = await stampede("distributed", "distributed");
    const local = await stampede("local", "local");
    const none = await stampede("none", "none");
    console.log(
      `stampede loads (4 processes x 250 callers, loader 100 ms): distributed=${distributed.loads} local=${local.loads} none=${none.loads}`,
    );
    expect(distributed.loads).toBe(1);
    expect(local.loads).toBeGreaterThanOrEqual(1);
    expect(local.loads).toBeLessThanOrEqual(4);
    expect(none.loads).toBeGreaterThan(100);
    // Waiters are woken by the fill message, not by the poll: well under loader + a poll step.
    expect(distributed.maxLatencyMs).toBeLessThan(2_000);
  });

  it("a lock holder killed mid-load: the others finish within lockTtl + deadline, and the loader runs once more", async () => {
    const lockTtlMs = 1_000;
    const lockWaitTimeoutMs = 5_000;
    await startWorkers(4, { defaults: { lockTtlMs, lockWaitTimeoutMs } });
    const [holder, ...others] = suite.workers as [CacheWorker, ...CacheWorker[]];
    const hanging = holder.next((event) => event.event === "hanging");
    await holder.call("hang", { key: "orphan" });
    await hanging;
    const started = performance.now();
    const bursts = others.map((worker) =>
      worker.call<{ loads: number; latencies: number[] }>("burst", {
        key: "orphan",
        concurrency: 50,
        protection: "distributed",
        loaderMs: 50,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await holder.kill("SIGKILL");
    const results = await Promise.all(bursts);
    const elapsed = performance.now() - started;
    const loads = results.reduce((sum, r) => sum + r.loads, 0);
    console.log(`holder killed: ${loads} load(s) after the kill, all callers done in ${Math.round(elapsed)} ms`);
    expect(loads).toBe(1);
    expect(elapsed).toBeLessThan(lockTtlMs + lockWaitTimeoutMs);
  });
});
