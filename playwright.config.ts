import { defineConfig } from "@playwright/test";

// End-to-end tests of the admin UI live in e2e/; the config grows with the admin app.
export default defineConfig({
  testDir: "./e2e",
  forbidOnly: !!process.env.CI,
});
