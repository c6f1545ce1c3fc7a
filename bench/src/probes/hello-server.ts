/** The framework ceiling: an Express 5 hello-world answering JSON, started like the API (its own process, PORT from env). */
import express from "express";

const app = express();
const body = { result: { data: { id: 1, username: "user_1", displayName: "User Number 1" } } };
app.get("/hello", (_request, response) => {
  response.json(body);
});
const server = app.listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.({ ready: true }));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
