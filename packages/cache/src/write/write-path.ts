import { leaseKeyOf, versionFenceKeyOf } from "../encoding/keys.js";
import { checkTags } from "../encoding/tags.js";
import { type CallOptions, validateCallOptions } from "../options.js";
import { NamespaceCore } from "../read/namespace-core.js";
import { mergePolicy } from "../read/policy.js";
import { UNAVAILABLE } from "../tiers/l2-store.js";
import { expiryOf } from "../time/ttl.js";
import { checkVersion, type VersionedSetResult } from "./versions.js";

/** The per-call options `set` accepts. */
export interface SetOptions extends Pick<CallOptions, "ttlMs" | "negativeTtlMs" | "graceMs" | "jitter"> {
  /** Tags of the stored entry (see `getOrSet`'s `tags`). @default none */
  tags?: readonly string[];
  /**
   * Orders this set against every other write of the id: it lands only if `version` is above the
   * highest version set or deleted before (in any process), else it is refused and the call
   * resolves `{ outcome: "refused" }`. A safe integer of 0 or more that grows with every change of
   * the source row (e.g. a row version column). @default none: an unordered set (resolves a boolean)
   */
  version?: number;
}

/** Options of `delete`. */
export interface DeleteOptions {
  /**
   * The version of the change that removed or replaced the row: the delete lands only if it is
   * above every version set or deleted before, and later sets or deletes of this version or older
   * are refused for at least `versionFenceTtlMs` (the fence). @default none: an unordered delete
   */
  version?: number;
}

/**
 * The write path of one namespace: set, delete and clear. Each voids the
 * leases of loads under way (so none can overwrite it), tells other processes
 * through the bus, and, when Redis cannot be reached, is kept for replay.
 */
export class WritePath<T> extends NamespaceCore<T> {
  /** How long a version fence outlives the last versioned write of its key, in ms (see `versionFenceTtlMs`). */
  versionFenceTtlMs = 60_000;

  /**
   * An ordered set (see `SetOptions.version`): one script compares the version with the key's
   * fence, writes, voids leases and publishes. L1 here takes the value only if nothing invalidated
   * the key (or cleared the namespace) while the script ran; a refusal drops this L1's copy so the
   * next read takes the winner from L2.
   */
  async setVersioned(key: string, value: T | null, options: SetOptions & { version: number }): Promise<VersionedSetResult> {
    this.assertOpen();
    const version = checkVersion(options.version, "set()");
    const { version: _version, ...rest } = options;
    const { encoded, entry, ttlMs, mark, epoch, started } = await this.prepareSet(key, value, rest);
    const written = this.l2
      ? await this.l2.versionedWrite(this.versionKeys(key), version, encoded, ttlMs, this.versionFenceTtlMs, () =>
          this.busMessage("inv", key),
        )
      : { written: true, fenceVersion: version };
    this.stats.counters.sets++;
    this.stats.record("set", performance.now() - started);
    if (written === UNAVAILABLE) {
      this.pending.addKey(key);
      this.l1?.delete(key);
      return { outcome: "unavailable", version };
    }
    if (!written.written) {
      this.stats.counters.setsRefused++;
      this.marks.note(key);
      this.l1?.delete(key);
      return { outcome: "refused", version, currentVersion: written.fenceVersion };
    }
    this.fillL1(key, entry, mark, epoch);
    return { outcome: "stored", version };
  }

  /**
   * What every set does before its write: validates the options, encodes the entry, and reads the
   * tag sequence (a set is the truth now: one round trip for unknown tags, so the entry is not taken
   * for an older one), the clear epoch and the key's invalidation mark, all before the write.
   */
  private async prepareSet(key: string, value: T | null, options: Omit<SetOptions, "version"> | undefined) {
    if (options) validateCallOptions(options);
    const policy = mergePolicy(this.policy, options);
    const tags = options?.tags === undefined || options.tags.length === 0 ? undefined : checkTags(options.tags, "set()");
    const started = performance.now();
    if (tags) await this.tags.resolve(tags);
    const tagSeq = this.tags.startSeq();
    const epoch = this.epoch.value;
    const now = this.clock.now();
    const { freshUntil, staleUntil } = expiryOf(now, value === null || value === undefined, policy, this.random);
    const encoded = this.codec.encode(value, { freshUntil, staleUntil, loadMs: 0, tags, tagSeq }).bytes;
    const entry = await this.codec.decode(encoded);
    this.marks.note(key);
    return { encoded, entry, ttlMs: staleUntil - now, mark: this.marks.current(), epoch, started };
  }

  private versionKeys(key: string): { value: string; lease: string; fence: string } {
    return { value: key, lease: leaseKeyOf(key), fence: versionFenceKeyOf(this.keys.namespacePrefix, key) };
  }

  /** Stores a value (null stores an "absent" marker); false when Redis could not be reached. */
  async set(key: string, value: T | null, options?: SetOptions): Promise<boolean> {
    this.assertOpen();
    const { encoded, entry, ttlMs, mark, started } = await this.prepareSet(key, value, options);
    const written = await this.l2?.write({ value: key, lease: leaseKeyOf(key) }, encoded, ttlMs, () => this.busMessage("inv", key));
    this.stats.counters.sets++;
    this.stats.record("set", performance.now() - started);
    if (written === UNAVAILABLE) {
      // L2 keeps whatever it had: delete it there once Redis answers, and keep this value out of L1 meanwhile.
      this.pending.addKey(key);
      this.l1?.delete(key);
      return false;
    }
    this.fillL1(key, entry, mark, this.epoch.value);
    return true;
  }

  /**
   * Removes a key from both tiers; false when Redis could not be reached (the delete is replayed later, unordered).
   * With `version` it is ordered (see `DeleteOptions.version`): it lands only above the key's fence (an older or
   * equal delete is already covered by the newer write: it changes nothing and resolves true).
   */
  async delete(key: string, version?: number): Promise<boolean> {
    this.assertOpen();
    if (version !== undefined) checkVersion(version, "delete()");
    const started = performance.now();
    this.marks.note(key);
    this.l1?.delete(key);
    const bus = () => this.busMessage("inv", key);
    const written =
      version === undefined
        ? await this.l2?.write({ value: key, lease: leaseKeyOf(key) }, null, 0, bus)
        : await this.l2?.versionedWrite(this.versionKeys(key), version, null, 0, this.versionFenceTtlMs, bus);
    // Drop again: a load that finished while the delete was in flight may have refilled L1.
    this.l1?.delete(key);
    this.stats.counters.deletes++;
    this.stats.record("delete", performance.now() - started);
    if (written === UNAVAILABLE) {
      this.pending.addKey(key);
      return false;
    }
    return true;
  }

  /**
   * Makes a key stale now but keeps it for its grace: the next read serves it at once and refreshes it in the
   * background. Loads under way are voided (their lease) and every L1 drops it. false when Redis could not be
   * reached (the key is then deleted when it answers again: stronger than an expiry, never weaker).
   */
  async expire(key: string): Promise<boolean> {
    this.assertOpen();
    this.marks.note(key);
    this.l1?.delete(key);
    if (!this.l2) return true;
    const written = await this.l2.expire({ value: key, lease: leaseKeyOf(key) }, this.clock.now(), () => this.busMessage("inv", key));
    this.l1?.delete(key);
    this.stats.counters.expires++;
    if (written === UNAVAILABLE) {
      this.pending.addKey(key);
      return false;
    }
    return true;
  }

  /** Invalidates every entry of the namespace (all versions); returns the L2 keys removed. */
  async clear(): Promise<number> {
    this.assertOpen();
    const prefix = this.keys.namespacePrefix;
    this.marks.bumpEpoch(prefix);
    this.stats.counters.clears++;
    const l2 = this.l2;
    if (!l2) return 0;
    const removed = await l2.clearNamespace(prefix, this.leaseTtlMs);
    // Again after the scan: a read in this process during it may have put an old L2 value in L1.
    this.marks.bumpEpoch(prefix);
    if (removed === UNAVAILABLE) {
      this.pending.addNamespace(prefix);
      return 0;
    }
    await l2.publish(() => this.busMessage("clear", prefix));
    return removed;
  }
}
