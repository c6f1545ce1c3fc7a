import { z } from "zod";

/** A users.id: a positive 32-bit integer (the column is `integer`). */
export const userId = z.number().int().min(1).max(2_147_483_647);

/** U+0000: Postgres text cannot hold it (error 22021), so it is refused here with a 400. */
const NUL = "\u0000";
/**
 * Bidirectional formatting characters (embeddings, overrides and isolates, U+202A–U+202E and U+2066–U+2069):
 * in a display name they reorder what is shown around it ("Trojan Source"-style spoofing of names).
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;
/** A high surrogate without its low half, or a low one without its high half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text a person wrote: no NUL, and well-formed UTF-16 (a lone surrogate, which JSON's `\ud800` can carry,
 * would otherwise be replaced by U+FFFD in Postgres without a word: refused instead).
 */
const text = () =>
  z
    .string()
    .refine((value) => !value.includes(NUL), { message: "must not contain NUL (U+0000)" })
    .refine((value) => !LONE_SURROGATE.test(value), { message: "must be well-formed Unicode (no lone surrogate)" });

export const username = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{3,64}$/, "use 3-64 letters, digits, '_', '.' or '-'");
export const email = z.email().max(254);
export const displayName = text()
  .trim()
  .min(1)
  .max(128)
  .refine((value) => !BIDI_CONTROLS.test(value), {
    message: "must not contain bidirectional override characters (U+202A-U+202E, U+2066-U+2069)",
  });
export const bio = text().max(2_000);
