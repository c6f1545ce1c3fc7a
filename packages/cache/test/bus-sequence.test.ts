import { describe, expect, it } from "vitest";
import { cacheSuite } from "./support/cache.js";
import { waitUntil } from "./support/clock.js";

describe("bus sequence numbers", () => {
  const suite = cacheSuite("busseq");

  it("a gap in a publisher's sequence clears L1; in-order messages and foreign payloads do not", async () => {
    const cache = await suite.make();
    const ns = cache.namespace<number>("n");
    await ns.getOrSet(1, async () => 1);
    await ns.getOrSet(2, async () => 2);
    const channel = `${suite.prefix}:bus`;
    const send = (s: number, keys: string[]) => suite.redis.publish(channel, JSON.stringify({ o: "other-process", s, t: "inv", k: keys }));

    await send(1, ["unrelated"]);
    await send(2, ["unrelated"]);
    await suite.redis.publish(channel, "not a bus message");
    await waitUntil(() => (cache.stats().bus?.received ?? 0) >= 2, 2_000, "messages received");
    await waitUntil(() => (cache.stats().bus?.malformed ?? 0) === 1, 2_000, "malformed counted");
    expect(cache.stats().l1.entries).toBe(2);
    expect(cache.stats().bus?.gaps).toBe(0);

    await send(5, ["unrelated"]); // 3 and 4 were lost
    await waitUntil(() => cache.stats().bus?.gaps === 1, 2_000, "gap detected");
    expect(cache.stats().l1.entries).toBe(0);
    expect(cache.stats().bus?.flushes).toBe(1);
  });
});
