/**
 * Everything the e2e run shares between the config (which starts the API) and the
 * tests: ports, the token, the database and the key prefix. Overridable for
 * machines where the defaults are taken.
 */
export const E2E = {
  /** The first instance serves the UI; the second makes the cluster a cluster (spread stampedes, bus). */
  ports: [Number(process.env.E2E_PORT ?? 3917), Number(process.env.E2E_PORT ?? 3917) + 1] as const,
  adminToken: "e2e-admin-token-0123456789abcdef",
  metricsToken: "e2e-metrics-token-fedcba9876543210",
  postgresAdminUrl: process.env.E2E_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  database: process.env.E2E_DATABASE ?? "hoard_e2e",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  cachePrefix: process.env.E2E_CACHE_PREFIX ?? "hoard-e2e",
} as const;

export const databaseUrl = E2E.postgresAdminUrl.replace(/\/[^/]*$/, `/${E2E.database}`);
export const baseURL = `http://127.0.0.1:${E2E.ports[0]}`;
