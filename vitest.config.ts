import { defineConfig } from "vitest/config";

// One vitest run covers every package and app; each project keeps its own config.
// cache-cluster runs the library's suites again on a real 3-master Redis Cluster; unit holds the
// library's pure tests (no Redis), also run alone by `pnpm test:unit`; bench runs the benchmark harnesses in a tiny configuration.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "bench", "packages/cache/vitest.cluster.config.ts", "packages/cache/vitest.unit.config.ts"],
  },
});
