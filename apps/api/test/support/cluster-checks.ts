import { expect } from "vitest";
import type { client } from "./client.js";
import { until } from "./poll.js";
import type { ApiProcess } from "./processes.js";

type Client = ReturnType<typeof client>;

/** Every instance appears in `instances.list` (from the heartbeats in Redis). */
export async function expectEveryInstanceListed(clients: Client[], instances: ApiProcess[]): Promise<void> {
  const live = await until("every heartbeat", async () => {
    const list = await (clients[0] as Client).instances.list.query();
    return list.length === instances.length ? list : undefined;
  });
  expect(new Set(live.map((instance) => instance.url))).toEqual(new Set(instances.map((instance) => instance.url)));
}

/** A write through the first instance is read by every other one within a second (bus and DB notifications). */
export async function expectWriteSeenEverywhere(clients: Client[], username: string): Promise<void> {
  const [a, ...others] = clients as [Client, ...Client[]];
  const user = await a.user.create.mutate({ username, email: `${username}@example.com`, displayName: "Before" });
  for (const each of clients) expect((await each.user.byId.query({ id: user.id }))?.displayName).toBe("Before");
  await a.user.update.mutate({ id: user.id, patch: { displayName: "After" } });
  for (const each of others) {
    await until(
      "the update on another instance",
      async () => (await each.user.byId.query({ id: user.id }))?.displayName === "After",
      1_000,
    );
  }
}
