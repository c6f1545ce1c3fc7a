import { defineProject } from "vitest/config";

// The benchmark harnesses in a tiny configuration, so CI keeps them working; `pnpm bench` makes the figures.
export default defineProject({
  resolve: { conditions: ["source"] },
  test: {
    name: "bench",
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
