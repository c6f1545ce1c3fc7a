import { defineProject } from "vitest/config";

// pnpm test:chaos: faults under load and the consistency checker, one file at a time
// (they time recoveries, so they do not share the two cores with each other).
export default defineProject({
  resolve: { conditions: ["source"] },
  test: {
    name: "chaos",
    include: ["chaos/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
