import { describe, expect, it } from "vitest";
import { PendingInvalidations } from "../../src/coordination/pending-invalidations.js";
import { type L2Store, UNAVAILABLE } from "../../src/tiers/l2-store.js";

/** The part of the L2 store a replay uses, answering from a script: Redis "down" until `up` is set. */
function fakeL2() {
  const calls: string[] = [];
  const state = { up: false };
  const answer = <T>(call: string, value: T) => {
    calls.push(call);
    return Promise.resolve(state.up ? value : UNAVAILABLE);
  };
  const l2 = {
    release: (lock: string) => answer(`release ${lock}`, true),
    clearNamespace: (prefix: string) => answer(`clear ${prefix}`, 0),
    publish: async () => {},
    write: (keys: { value: string }) => answer(`delete ${keys.value}`, true as const),
  } as unknown as L2Store;
  return { l2, calls, state };
}

const message = () => () => ({ channel: "", message: "" });

describe("replay of what could not reach Redis (no Redis)", () => {
  it("keeps everything while Redis is down, then replays releases, clears and deletes in that order", async () => {
    const added: number[] = [];
    const pending = new PendingInvalidations(() => added.push(1));
    const { l2, calls, state } = fakeL2();
    pending.addKey("p:user:v1:{1}");
    pending.addRelease("p:user:v1:{2}:lock", "token");
    pending.addNamespace("p:post:");
    pending.addKey("p:user:v1:{3}");
    expect(pending.size).toBe(4);
    expect(added).toHaveLength(4);

    await pending.replay(l2, message);
    expect(pending.size).toBe(4); // stopped at the first failure, nothing lost
    expect(calls).toEqual(["release p:user:v1:{2}:lock"]);

    state.up = true;
    calls.length = 0;
    await pending.replay(l2, message);
    expect(calls).toEqual(["release p:user:v1:{2}:lock", "clear p:post:", "delete p:user:v1:{1}", "delete p:user:v1:{3}"]);
    expect(pending.size).toBe(0);
    expect(pending.replayed).toBe(3);
  });

  it("a namespace clear covers the keys pending under it; a key added twice is sent once", async () => {
    const pending = new PendingInvalidations();
    const { l2, calls, state } = fakeL2();
    state.up = true;
    pending.addKey("p:user:v1:{1}");
    pending.addKey("p:user:v1:{1}");
    pending.addKey("p:post:v1:{1}");
    pending.addNamespace("p:post:");
    expect(pending.size).toBe(2);
    await pending.replay(l2, message);
    expect(calls).toEqual(["clear p:post:", "delete p:user:v1:{1}"]);
  });

  it("one replay at a time: a second call while one runs joins it", async () => {
    const pending = new PendingInvalidations();
    const { l2, calls, state } = fakeL2();
    state.up = true;
    pending.addKey("k");
    const first = pending.replay(l2, message);
    const second = pending.replay(l2, message);
    expect(second).toBe(first);
    await first;
    expect(calls).toEqual(["delete k"]);
  });
});
