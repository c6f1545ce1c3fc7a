import { defineConfig } from "vitest/config";

// One vitest run covers every package and app; each project keeps its own config.
// cache-cluster runs the library's suites again on a real 3-master Redis Cluster.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "bench", "packages/cache/vitest.cluster.config.ts"],
  },
});
