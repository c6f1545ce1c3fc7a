import { z } from "zod";

/** A users.id: a positive 32-bit integer (the column is `integer`). */
export const userId = z.number().int().min(1).max(2_147_483_647);

export const username = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{3,64}$/, "use 3-64 letters, digits, '_', '.' or '-'");
export const email = z.email().max(254);
export const displayName = z.string().trim().min(1).max(128);
export const bio = z.string().max(2_000);

/** The cache namespaces the admin procedures can address. */
export const namespaceName = z.enum(["user", "user-list"]);

/** A cache tag, as the cache accepts it: 1-200 characters, no control characters. */
export const cacheTag = z
  .string()
  .min(1)
  .max(200)
  .refine((tag) => ![...tag].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f), "no control characters");
