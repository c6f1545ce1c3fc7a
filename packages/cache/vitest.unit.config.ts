import { defineProject } from "vitest/config";

// The pure parts (breaker, envelope, bus sequence, read batching, pending replay, hit rates, TTL
// math, keys, clock): no Redis, injected clocks, seconds. `pnpm test:unit` runs this project alone;
// the `cache` project leaves test/unit/ to it, so a full `vitest run` runs them once.
export default defineProject({
  resolve: { conditions: ["source"] },
  test: {
    name: "unit",
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 5_000,
  },
});
