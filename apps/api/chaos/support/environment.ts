import { FaultProxy, OwnRedisServer } from "@hoard/test-servers";
import { ADMIN_TOKEN } from "../../test/support/client.js";
import { until } from "../../test/support/poll.js";
import { createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from "../../test/support/postgres.js";
import { type ApiProcess, spawnApi, waitListening, waitReady } from "../../test/support/processes.js";
import { uniquePrefix } from "../../test/support/redis.js";

/**
 * What the chaos suite breaks: its own redis-server, its own database reached
 * through a FaultProxy, and three API processes on them. Never the shared 6379.
 */
export class ChaosEnvironment {
  readonly instances: ApiProcess[] = [];
  readonly prefix = uniquePrefix("chaos");

  private constructor(
    readonly redis: OwnRedisServer,
    readonly database: TestDatabase,
    readonly postgresProxy: FaultProxy,
  ) {}

  static async start(instanceCount = 3): Promise<ChaosEnvironment> {
    const target = new URL(POSTGRES_ADMIN_URL);
    const [redis, database, postgresProxy] = await Promise.all([
      OwnRedisServer.start(),
      createTestDatabase(),
      FaultProxy.start({ host: target.hostname, port: Number(target.port || 5432) }),
    ]);
    const environment = new ChaosEnvironment(redis, database, postgresProxy);
    try {
      for (let i = 0; i < instanceCount; i++) environment.instances.push(await environment.spawn());
      await Promise.all(environment.instances.map((instance) => waitReady(instance)));
    } catch (error) {
      await environment.stop();
      throw error;
    }
    return environment;
  }

  /** The database URL through the fault proxy. */
  get proxiedDatabaseUrl(): string {
    const url = new URL(this.database.url);
    url.host = `127.0.0.1:${this.postgresProxy.port}`;
    return url.toString();
  }

  get urls(): string[] {
    return this.instances.map((instance) => instance.url);
  }

  /** Replaces instance `index` with a fresh process (after it was killed); `listening` does not wait for Redis. */
  async respawn(index: number, waitFor: "ready" | "listening" = "ready"): Promise<void> {
    const fresh = await this.spawn();
    this.instances[index] = fresh;
    await (waitFor === "ready" ? waitReady(fresh) : waitListening(fresh));
  }

  /** Every instance answers /readyz with 200. */
  async allReady(timeoutMs = 10_000): Promise<void> {
    await until(
      "every instance ready",
      async () => (await Promise.all(this.urls.map((url) => fetch(`${url}/readyz`).then((r) => r.status)))).every((s) => s === 200),
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((instance) => instance.stop()));
    await this.postgresProxy.close();
    await this.redis.dispose();
    await this.database.drop();
  }

  private spawn(): Promise<ApiProcess> {
    return spawnApi({
      databaseUrl: this.proxiedDatabaseUrl,
      prefix: this.prefix,
      env: { REDIS_URL: this.redis.url, ADMIN_TOKEN, LOG_LEVEL: "error" },
    });
  }
}
