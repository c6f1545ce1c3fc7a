import { checkMetrics, promtoolOrSkip } from "@hoard/test-servers";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { useTestApi } from "./support/api.js";
import { client, failure, raw } from "./support/client.js";
import { REDIS_URL } from "./support/redis.js";

const suite = useTestApi("harden");
const { prefix } = suite;

describe("hardening", () => {
  it("unknown /trpc paths share one metric label, so they cannot grow /metrics", async () => {
    for (let i = 0; i < 20; i++) await raw(suite.api.url, `nope${i}`);
    const text = await (await fetch(`${suite.api.url}/metrics`)).text();
    expect(text).not.toContain('route="/trpc/nope');
    expect(text).toContain('route="/trpc/(other)"');
  });

  it("/metrics passes promtool check metrics with no finding on Hoard's own metrics (skipped without promtool)", async (context) => {
    const promtool = promtoolOrSkip((note) => context.skip(note));
    if (!promtool) return;
    // Traffic first, so every family has samples: reads (misses, hits), a write, an unknown path.
    const admin = client(suite.api.url);
    const created = await admin.user.create.mutate({
      username: `prom${Date.now()}`,
      email: `prom${Date.now()}@example.com`,
      displayName: "P",
    });
    await admin.user.byId.query({ id: created.id });
    await admin.user.byId.query({ id: created.id });
    await raw(suite.api.url, "nope");
    const text = await (await fetch(`${suite.api.url}/metrics`)).text();
    expect(text).toMatch(/^hoard_cache_\w+_total\{/m);
    const { status, findings } = checkMetrics(promtool, text);
    console.log(`promtool check metrics on the API's /metrics: ${findings.length === 0 ? "no finding" : findings.join(" | ")}`);
    // Findings name the metric first; only the runtime's default metrics (process_*, nodejs_*) may have any.
    expect(findings.filter((line) => !/^(process|nodejs)_/.test(line))).toEqual([]);
    if (findings.length === 0) expect(status).toBe(0);
  });

  it("an id the cache cannot turn into a key is BAD_REQUEST, not a 500", async () => {
    expect(await failure(client(suite.api.url).cache.invalidate.mutate({ namespace: "user", id: "\ud800" }))).toMatchObject({
      code: "BAD_REQUEST",
      status: 400,
    });
  });

  it("a spread stampede never sends the admin token to an instance entry it cannot verify", async () => {
    const redis = new Redis(REDIS_URL);
    let hits = 0;
    const { createServer } = await import("node:http");
    const trap = createServer((_request, response) => {
      hits++;
      response.end("{}");
    });
    await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
    const trapUrl = `http://127.0.0.1:${(trap.address() as { port: number }).port}`;
    try {
      // Someone with write access to Redis plants an instance that points at their own server.
      const forged = {
        id: "forged",
        url: trapUrl,
        port: 1,
        pid: 1,
        startedAt: 0,
        lastSeenAt: Date.now(),
        dbLatencyMs: 0,
        redisMode: "x",
        summary: {},
      };
      await redis.set(`${prefix}:instance:forged`, JSON.stringify({ ...forged, signature: "0".repeat(64) }), "PX", 30_000);
      await redis.sadd(`${prefix}:instances`, "forged");
      const result = await client(suite.api.url).lab.stampede.mutate({ concurrency: 4, mode: "distributed", spread: true });
      expect(result.instances.map((instance) => instance.url)).not.toContain(trapUrl);
      expect(hits).toBe(0);
    } finally {
      trap.close();
      redis.disconnect();
    }
  });
});
