import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Panel } from "../components/Panel.js";
import { describeError } from "../errors.js";
import { useTRPC, useTRPCClient } from "../trpc.js";

type SeedState =
  | { phase: "idle" }
  | { phase: "running"; done: number; total: number }
  | { phase: "finished"; inserted: number; total: number }
  | { phase: "failed"; message: string };

/** The admin action "seed N users": the server streams its progress after each batch, shown as a progress bar. */
export function SeedUsers() {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const countId = useId();
  const [count, setCount] = useState(1_000);
  const [state, setState] = useState<SeedState>({ phase: "idle" });

  const run = async () => {
    setState({ phase: "running", done: 0, total: count });
    try {
      let inserted = 0;
      for await (const step of await client.user.seed.mutate({ count })) {
        if (step.inserted === undefined) setState({ phase: "running", done: step.done, total: step.total });
        else inserted = step.inserted;
      }
      setState({ phase: "finished", inserted, total: count });
      void queryClient.invalidateQueries(trpc.user.list.pathFilter());
    } catch (error) {
      setState({ phase: "failed", message: describeError(error) });
    }
  };

  return (
    <Panel title="Seed users">
      <form
        className="seed"
        onSubmit={(event) => {
          event.preventDefault();
          void run();
        }}
      >
        <label htmlFor={countId}>How many</label>
        <input
          id={countId}
          type="number"
          min={1}
          max={100_000}
          value={count}
          onChange={(event) => setCount(Math.max(1, Math.min(100_000, Number(event.target.value) || 1)))}
        />
        <button type="submit" disabled={state.phase === "running"}>
          Seed {count} users
        </button>
      </form>
      {state.phase === "running" && (
        <p>
          <progress value={state.done} max={state.total} aria-label="Seeding users" /> {state.done} / {state.total}
        </p>
      )}
      {state.phase === "finished" && (
        <p role="status">
          {state.inserted} users inserted{state.inserted < state.total ? ` (${state.total - state.inserted} already existed)` : ""}.
        </p>
      )}
      {state.phase === "failed" && (
        <p role="alert" className="error">
          Seeding failed: {state.message}
        </p>
      )}
    </Panel>
  );
}
