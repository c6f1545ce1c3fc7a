import { z } from "zod";
import type { Stats } from "./cluster-stats.js";
import type { L1Copy } from "./router.js";

const num = z.number();
const counters = z.record(z.string(), num);

/**
 * Another instance's `cache.stats` answer, checked for every field `mergeStats` reads (the rest passes
 * through): a peer that answers garbage is reported as unreachable instead of breaking the cluster view.
 */
const statsSchema = z.looseObject({
  instance: z.looseObject({ id: z.string() }),
  tiers: z.looseObject({
    l1: z.looseObject({ entries: num, bytes: num, maxEntries: num, maxBytes: num }),
    bus: z.looseObject({ connected: z.boolean() }).nullable(),
  }),
  totals: counters,
  namespaces: z.array(z.looseObject({ name: z.string(), counters, latency: z.record(z.string(), z.looseObject({ p99: num })) })),
  inFlight: num,
  outbox: z.looseObject({ delivered: num, failedDeliveries: num, lastDrainAt: num.nullable() }).nullable(),
  instances: z.array(z.unknown()),
  series: z.array(z.looseObject({ at: num })),
});

const l1CopySchema = z.object({ negative: z.boolean(), freshUntil: num, staleUntil: num }).nullable();

/** Thrown when a peer's answer is not what the procedure returns. */
export class MalformedPeerAnswerError extends Error {
  override name = "MalformedPeerAnswerError";
}

function check<T>(schema: z.ZodType, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedPeerAnswerError(`malformed ${what} from a peer: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim());
  }
  return parsed.data as T;
}

export const peerStats = (value: unknown): Stats => check<Stats>(statsSchema, value, "cache.stats");
export const peerL1Copy = (value: unknown): L1Copy | null => check<L1Copy | null>(l1CopySchema, value, "cache.l1Copy");
