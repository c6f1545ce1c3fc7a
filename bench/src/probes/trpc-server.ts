/**
 * The tRPC ceiling: Express 5 + tRPC 11's Express adapter serving one query
 * that returns a constant (no cache, no database, no logging), started like the API.
 */
import { initTRPC } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express from "express";
import { z } from "zod";

const t = initTRPC.create();
const profile = { id: 1, username: "user_1", email: "user_1@example.com", displayName: "User Number 1", bio: "hot key" };
const router = t.router({
  user: t.router({ byId: t.procedure.input(z.strictObject({ id: z.number().int().positive() })).query(() => profile) }),
});
const app = express();
app.use("/trpc", createExpressMiddleware({ router }));
const server = app.listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.({ ready: true }));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
