import { expect, test } from "./fixtures.js";
import type { SeededUser } from "./support/api.js";
import { type OwnCluster, startOwnCluster } from "./support/cluster.js";

/**
 * Versioned keys changed for a running cluster of three real instances: a bump from the admin UI moves
 * every instance to v2 (the v1 entries stay in Redis, unreachable; the next reads miss and load), an
 * instance started meanwhile joins at v2, and "Back" returns every instance to v1 without serving the
 * v1 entries that writes made at v2 never invalidated.
 */
let cluster: OwnCluster;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startOwnCluster("versions", 3);
});

test.afterAll(async () => {
  await cluster?.close();
});

test("a version bump from the UI moves all three instances to v2 and back", async ({ adminPage: page, api }) => {
  test.setTimeout(120_000);
  const [a, b, c] = cluster.ports as [number, number, number];
  const versionOf = async (port: number) =>
    (await api<{ version: number }>("query", "versions.state", { namespace: "user" }, port)).version;
  const lookup = (port: number, id: number) =>
    api<{ source: string; user: { displayName: string } | null }>("query", "inspect.lookup", { id }, port);
  const user = await api<SeededUser>(
    "mutation",
    "user.create",
    { username: "versions-1", email: "versions-1@example.com", displayName: "Before", bio: "" },
    a,
  );
  const v1Key = `${cluster.prefix}:user:v1:{${user.id}}`;
  const v2Key = `${cluster.prefix}:user:v2:{${user.id}}`;
  expect((await lookup(a, user.id)).source).toBe("database");
  for (const port of [b, c]) expect((await lookup(port, user.id)).source).toBe("l2");

  await page.goto(`${cluster.urlOf(0)}/#/cache`);
  const panel = page.getByRole("region", { name: "The cluster's version" });
  await expect(panel).toContainText("The cluster reads and writes user entries at v1 (the code's version)");
  const instances = panel.getByRole("table", { name: "Version per instance" });
  await expect(instances.getByRole("row").filter({ hasText: "v1" })).toHaveCount(3);

  await panel.getByRole("button", { name: "Bump to v2 for the cluster" }).click();
  await expect(panel).toContainText("The cluster reads and writes user entries at v2 (the code says v1)");
  await expect(instances.getByRole("row").filter({ hasText: "v2" })).toHaveCount(3);
  // Every instance answers at v2 itself, not only the one that took the click.
  for (const port of cluster.ports) await expect.poll(() => versionOf(port)).toBe(2);

  // The v1 entry is still in Redis but no instance reaches it: the first read at v2 loads, the others hit its fill.
  expect(await cluster.redis.exists(v1Key)).toBe(1);
  expect((await lookup(b, user.id)).source).toBe("database");
  expect((await lookup(a, user.id)).source).toBe("l2");
  expect((await lookup(c, user.id)).source).toBe("l2");
  expect(await cluster.redis.exists(v2Key)).toBe(1);

  // An instance that starts now joins at v2.
  await cluster.stop(2);
  await cluster.start(2);
  expect(await versionOf(c)).toBe(2);
  expect(cluster.output(2)).toContain('namespace \\"user\\" runs at v2');
  expect((await lookup(c, user.id)).source).toBe("l2");

  // A write at v2 invalidates the v2 key only; the v1 entry still says "Before".
  await api("mutation", "user.update", { id: user.id, patch: { displayName: "After" } }, b);
  await expect.poll(async () => (await lookup(c, user.id)).user?.displayName).toBe("After");
  expect(await cluster.redis.get(v1Key)).toContain("Before");

  // Back to v1: the namespace is cleared first, so no instance serves the stale v1 entry.
  await panel.getByRole("button", { name: "Back to v1" }).click();
  await expect(panel).toContainText("The cluster reads and writes user entries at v1 (the code's version)");
  await expect(instances.getByRole("row").filter({ hasText: "v1" })).toHaveCount(3);
  expect(await cluster.redis.exists(v1Key)).toBe(0);
  for (const port of cluster.ports) {
    await expect.poll(() => versionOf(port)).toBe(1);
    expect((await lookup(port, user.id)).user?.displayName).toBe("After");
  }
  await expect(panel.getByRole("button", { name: "Back to v1" })).toBeDisabled();
});

test("a bump from a stale page is refused (CONFLICT), not applied twice", async ({ api }) => {
  const from = (await api<{ version: number }>("query", "versions.state", { namespace: "user" }, cluster.ports[0])).version;
  await api("mutation", "versions.bump", { namespace: "user", from }, cluster.ports[0]);
  await expect(api("mutation", "versions.bump", { namespace: "user", from }, cluster.ports[1])).rejects.toThrow(/HTTP 409/);
  for (const port of cluster.ports)
    await expect
      .poll(async () => (await api<{ version: number }>("query", "versions.state", { namespace: "user" }, port)).version)
      .toBe(from + 1);
  await expect(api("mutation", "versions.bump", { namespace: "user", from: 0 }, cluster.ports[0])).rejects.toThrow(/HTTP 400/);
  await api("mutation", "versions.restore", { namespace: "user" }, cluster.ports[1]);
});
