import { z } from "zod";

/** The cache namespaces the admin procedures can address. */
export const namespaceName = z.enum(["user"]);
