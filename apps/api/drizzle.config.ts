import { defineConfig } from "drizzle-kit";

// `pnpm --filter @hoard/api db:generate` writes SQL migrations to drizzle/ (committed, applied at start-up).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});
