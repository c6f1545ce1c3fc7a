import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { AppRedis } from "../cache/redis-connection.js";
import { SharedNumber } from "../cluster/shared-number.js";

/**
 * The artificial database latency of the lab, shared by every instance of a
 * cluster (a {@link SharedNumber} in Redis). It lasts while the cluster runs,
 * not across a restart of the whole cluster: the first instance to start
 * (no other one alive) sets it back to `DB_LATENCY_MS`. An instance joining a
 * running cluster adopts the cluster's value and warns when it differs.
 */
export class DbLatency {
  private readonly shared: SharedNumber;

  constructor(
    private readonly configuredMs: number,
    redis: AppRedis | undefined,
    prefix: string,
    private readonly log: Logger,
  ) {
    this.shared = new SharedNumber(configuredMs, redis, `${prefix}:lab:db-latency-ms`, log, (ms) =>
      log.info({ dbLatencyMs: ms }, "db latency changed"),
    );
  }

  /** The delay now applied after each load's query, in ms. */
  get ms(): number {
    return this.shared.value;
  }

  /**
   * Joins the cluster's value. `alone`: no other instance is alive, so this is
   * a fresh start of the cluster and a value the lab left behind is dropped.
   */
  async start(alone: boolean): Promise<void> {
    if (alone) await this.shared.reset();
    await this.shared.start();
    if (this.shared.value !== this.configuredMs) {
      this.log.warn(
        { dbLatencyMs: this.shared.value, configuredMs: this.configuredMs, key: this.shared.key },
        `DB LATENCY ${this.shared.value} ms IS ON: set by the lab on the running cluster, this instance adopts it; every database read is slowed until it is reset in the admin UI`,
      );
    }
  }

  /** Re-reads the stored value (called on each heartbeat). */
  refresh(): Promise<void> {
    return this.shared.refresh();
  }

  /** Sets the latency for every instance of the cluster. */
  set(ms: number): Promise<void> {
    return this.shared.set(ms);
  }

  /** Waits the current latency (abortable by the loader's signal). */
  async delay(signal?: AbortSignal): Promise<void> {
    if (this.ms > 0) await sleep(this.ms, undefined, { signal });
  }

  close(): Promise<void> {
    return this.shared.close();
  }
}
