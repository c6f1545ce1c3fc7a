import { defineProject } from "vitest/config";

// The library's suites again, against a real 3-master Redis Cluster started once for the run
// (test/support/cluster-setup.ts). Suites that start a standalone redis-server of their own
// (outages), test option parsing, or single-Redis read batching stay in the `cache` project.
export default defineProject({
  resolve: { conditions: ["source"] },
  test: {
    name: "cache-cluster",
    include: ["test/**/*.test.ts"],
    exclude: [
      "test/unit/**",
      "test/pack.test.ts",
      "test/connection-reset-settles.test.ts",
      "test/redis-outage.test.ts",
      "test/read-batching.test.ts",
      "test/redis-failure.test.ts",
      "test/errors-and-options.test.ts",
    ],
    globalSetup: ["test/support/cluster-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
