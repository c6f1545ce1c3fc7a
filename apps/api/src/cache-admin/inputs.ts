import { z } from "zod";

/** The cache namespaces the admin procedures can address. */
export const namespaceName = z.enum(["user", "user-list"]);

/** A cache tag, as the cache accepts it: 1-200 characters, no control characters. */
export const cacheTag = z
  .string()
  .min(1)
  .max(200)
  .refine((tag) => ![...tag].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f), "no control characters");
