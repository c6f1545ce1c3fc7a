import { type History, versionOf } from "@hoard/api";
import type { TrpcClient } from "./client.js";
import type { Workload } from "./workload.js";

/** What one phase of load did. */
export interface PhaseResult {
  /** Requests answered 200. */
  ok: number;
  /** Requests answered otherwise, or not at all (or not sent: the open loop's in-flight cap). */
  failed: number;
  seconds: number;
  /** Latency of every answered request, in ms (open loop: from its scheduled start). */
  latenciesMs: number[];
  /** The same split by kind: reads, and updates (acknowledged or not). */
  readLatenciesMs: number[];
  writeLatenciesMs: number[];
}

function emptyPhase(seconds: number): PhaseResult {
  return { ok: 0, failed: 0, seconds, latenciesMs: [], readLatenciesMs: [], writeLatenciesMs: [] };
}

function record(result: PhaseResult, answer: { ok: boolean; write: boolean }, latencyMs: number): void {
  result.latenciesMs.push(latencyMs);
  (answer.write ? result.writeLatenciesMs : result.readLatenciesMs).push(latencyMs);
  if (answer.ok) result.ok++;
  else result.failed++;
}

/** Versions written: one clock for the whole run, so versions per id only grow across phases, rounds and runs. */
export class VersionClock {
  private last = Date.now() * 1_000;

  next(): number {
    return ++this.last;
  }
}

/**
 * Sends the workload to the entry point and records every call in a
 * {@link History} (reads with the version they returned, acknowledged writes
 * with theirs), for the consistency checker's stale-read count. Two writes of
 * one id are never in flight together (the history needs versions per id to
 * grow in acknowledgement order): a write drawn for an id being written is sent
 * as a read of it instead.
 */
export class MixedLoad {
  private readonly writing = new Set<number>();

  constructor(
    private readonly client: TrpcClient,
    private readonly workload: Workload,
    private readonly history: History,
    private readonly versions: VersionClock,
  ) {}

  /** Sends one request of the workload; resolves whether it was answered 200, and whether it was a write. */
  async one(): Promise<{ ok: boolean; write: boolean }> {
    const op = this.workload.next();
    if (op.kind === "write" && !this.writing.has(op.id)) return { ok: await this.write(op.id), write: true };
    return { ok: await this.read(op.id), write: false };
  }

  /** Reads `id`, recorded. */
  async read(id: number): Promise<boolean> {
    const startAt = performance.now();
    const answer = await this.client.query("user.byId", { id });
    const ok = answer.status === 200;
    this.history.addRead({
      id,
      instance: -1,
      startAt,
      endAt: performance.now(),
      ok,
      status: answer.status,
      version: versionOf(answer.data),
    });
    return ok;
  }

  private async write(id: number): Promise<boolean> {
    const version = this.versions.next();
    this.writing.add(id);
    const startAt = performance.now();
    const answer = await this.client.mutation("user.update", { id, patch: { displayName: `v${version}` } });
    this.writing.delete(id);
    const ok = answer.status === 200;
    if (ok) this.history.addWrite({ id, version, instance: -1, startAt, ackAt: performance.now() });
    else this.history.failedWrites.push({ id, startAt, status: answer.status });
    return ok;
  }

  /** `concurrency` clients, each sending its next request as soon as the last is answered, for `seconds`. */
  async closedLoop(concurrency: number, seconds: number): Promise<PhaseResult> {
    const result = emptyPhase(seconds);
    const started = performance.now();
    const until = started + seconds * 1_000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const sent = performance.now();
          record(result, await this.one(), performance.now() - sent);
        }
      }),
    );
    result.seconds = (performance.now() - started) / 1_000;
    return result;
  }

  /**
   * An open loop: `rate` requests a second on a fixed schedule for `seconds`, whatever the answers
   * take, each timed from when it was due (no coordinated omission). Past `maxInFlight` unanswered
   * requests a due request is counted failed instead of sent.
   */
  async openLoop(rate: number, seconds: number, maxInFlight = 2_000): Promise<PhaseResult> {
    const result = emptyPhase(seconds);
    const total = Math.round(rate * seconds);
    const started = performance.now();
    const pending = new Set<Promise<void>>();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1_000) + 1);
      for (; sent < due; sent++) {
        const dueAt = started + (sent * 1_000) / rate;
        if (pending.size >= maxInFlight) {
          result.failed++;
          continue;
        }
        const call: Promise<void> = this.one().then((answer) => {
          record(result, answer, performance.now() - dueAt);
          pending.delete(call);
        });
        pending.add(call);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    return result;
  }
}
