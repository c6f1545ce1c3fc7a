import { stdSerializers } from "pino";

/**
 * Fields of database errors that carry row values: drizzle's `params` (a failed insert's username,
 * email, bio), Postgres's `detail` ("Key (email)=(ada@example.com) already exists", "Failing row
 * contains (…)") and `where`. Dropped from every logged error and its causes.
 */
const PERSONAL_FIELDS = ["params", "detail", "where", "parameters"] as const;

/** drizzle's "Failed query: …\nparams: …" message tail, in messages and stacks (the values may span lines). */
const PARAMS_TAIL = /\nparams: [\s\S]*?(?=\n\s+at |\ncaused by: |$)/g;

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.replace(PARAMS_TAIL, "\nparams: [redacted]");
  if (!value || typeof value !== "object" || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if ((PERSONAL_FIELDS as readonly string[]).includes(key)) continue;
    out[key] = scrub(field, depth + 1);
  }
  return out;
}

/** pino's error serializer (message, stack and causes) without the values a database error quotes. */
export function safeError(error: unknown): unknown {
  return scrub(error instanceof Error ? stdSerializers.err(error) : error);
}

/** Serializers for every logger of the API: `err` scrubbed of personal data. */
export const logSerializers = { err: safeError, error: safeError };
