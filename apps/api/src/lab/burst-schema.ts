import { z } from "zod";

/** A latency histogram as a peer sends it: finite, non-negative numbers, one count per bucket. */
const histogram = z.object({
  boundsMs: z.array(z.number().nonnegative()).max(64),
  counts: z.array(z.number().int().nonnegative()).max(65),
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
});

const count = z.number().int().nonnegative();

/** One instance's answer to `lab.fire`: checked before it is merged (a malformed one is that instance's failure). */
export const burstResultSchema = z.object({
  instanceId: z.string().min(1).max(128),
  url: z.string().max(2_048),
  calls: count,
  dbLoads: count,
  coalesced: count,
  lockWaits: count,
  lockTimeouts: count,
  errors: count,
  histogram,
  failure: z.string().max(2_000).optional(),
});

/** A share of a run as the coordinator stores it in Redis for one instance. */
export const burstInputSchema = z.object({
  runId: z.string().min(1).max(64),
  id: z.number().int().min(1),
  calls: z.number().int().min(0).max(2_000),
  mode: z.enum(["none", "local", "distributed"]),
  startAt: z.number().int().min(0),
});
