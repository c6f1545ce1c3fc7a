import { describe, expect, it } from "vitest";
import { cacheInternals } from "../src/cache.js";
import { cacheSuite } from "./support/cache.js";
import { countCommands } from "./support/redis.js";

describe("read batching (single Redis)", () => {
  const suite = cacheSuite("batching");

  it("concurrent L2 reads share MGETs; serial reads stay plain GETs", async () => {
    const writer = await suite.make();
    for (let id = 0; id < 200; id++) await writer.namespace<number>("n").set(id, id);
    const cache = await suite.make({ l1: false });
    const ns = cache.namespace<number>("n");
    const commands = countCommands(cacheInternals(cache).redis as never);

    for (let id = 0; id < 10; id++) expect(await ns.get(id)).toBe(id);
    expect(commands.counts.get("get")).toBe(10);
    expect(commands.counts.get("mget") ?? 0).toBe(0);

    commands.reset();
    // 200 reads in flight at once, in waves as replies come back.
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 200) {
          const id = next++;
          expect(await ns.getOrSet(id, async () => -1)).toBe(id);
        }
      }),
    );
    const sent = (commands.counts.get("get") ?? 0) + (commands.counts.get("mget") ?? 0);
    expect(commands.counts.get("mget") ?? 0).toBeGreaterThan(0);
    expect(sent).toBeLessThan(100); // 200 reads, far fewer commands
    expect(cacheInternals(cache).l2?.readsPerCommand).toBeGreaterThan(1.5);
  });

  it("can be turned off", async () => {
    const cache = await suite.make({ l1: false, batchReads: false });
    const ns = cache.namespace<number>("n");
    const commands = countCommands(cacheInternals(cache).redis as never);
    await Promise.all(Array.from({ length: 50 }, (_, id) => ns.getOrSet(id, async () => id)));
    expect(commands.counts.get("mget") ?? 0).toBe(0);
  });
});
