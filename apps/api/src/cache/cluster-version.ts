import type { Namespace } from "@hoard/cache";
import type { Logger } from "pino";
import { SharedNumber } from "../cluster/shared-number.js";
import type { AppRedis } from "./redis-connection.js";

/**
 * The version one namespace runs at, for the whole cluster at run time (the
 * versioned-keys demo): kept in Redis and announced on its channel (a
 * {@link SharedNumber}), and each instance moves its namespace there with
 * `namespace.setVersion`. Unset, the code's version applies. Kept across
 * restarts like a deploy would be: an instance that starts adopts it (and
 * says so). Without Redis it changes this one instance.
 */
export class ClusterVersion {
  /** The version the code declares (`USER_NAMESPACE.version`). */
  readonly codeVersion: number;
  private readonly shared: SharedNumber;

  constructor(
    private readonly namespace: Pick<Namespace<unknown>, "name" | "version" | "setVersion" | "clear">,
    redis: AppRedis | undefined,
    prefix: string,
    private readonly log: Logger,
  ) {
    this.codeVersion = namespace.version;
    this.shared = new SharedNumber(namespace.version, redis, `${prefix}:lab:version:${namespace.name}`, log, (version) => {
      namespace.setVersion(version);
      log.info({ namespace: namespace.name, version }, "namespace version changed for the cluster");
    });
  }

  /** The version this instance reads and writes now. */
  get version(): number {
    return this.namespace.version;
  }

  /** Adopts the cluster's version, then follows its changes. */
  async start(): Promise<void> {
    await this.shared.start();
    if (this.version !== this.codeVersion)
      this.log.warn(
        { namespace: this.namespace.name, version: this.version, codeVersion: this.codeVersion },
        `namespace "${this.namespace.name}" runs at v${this.version}, not the code's v${this.codeVersion}: bumped from the admin UI (Cache page, "Back to v${this.codeVersion}" undoes it)`,
      );
  }

  /** Re-reads the cluster's version (called on each heartbeat). */
  refresh(): Promise<void> {
    return this.shared.refresh();
  }

  /** Moves the cluster from `from` to `from + 1`; false when it is not at `from` (someone else bumped it). */
  bump(from: number): Promise<boolean> {
    return this.shared.compareAndSet(from, from + 1);
  }

  /**
   * Back to the code's version. Writes made since the bump invalidated only the
   * bumped keys, so the old version's entries may be stale: the namespace is
   * cleared (every version, every instance's L1) before the cluster moves back.
   * Returns the L2 keys removed.
   */
  async restore(): Promise<number> {
    const removed = await this.namespace.clear();
    await this.shared.reset();
    return removed;
  }

  close(): Promise<void> {
    return this.shared.close();
  }
}
