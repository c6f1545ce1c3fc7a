import { type FormEvent, useId, useState } from "react";
import { Panel } from "../components/Panel.js";
import type { RouterInputs } from "../trpc.js";
import { idFromFilter } from "./entry-filter.js";

type NamespaceName = RouterInputs["cache"]["entries"]["namespace"];

/** Finds one entry by id or by its whole key, and opens it. */
export function EntryFilter({ namespace, onOpen }: { namespace: NamespaceName; onOpen: (id: string) => void }) {
  const [text, setText] = useState("");
  const inputId = useId();
  const hintId = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    const id = idFromFilter(text);
    if (id !== null) onOpen(id);
  }
  return (
    <Panel title={`Find an entry of ${namespace}`} className="wide">
      <form className="inline" onSubmit={submit}>
        <label htmlFor={inputId}>Id or key</label>
        <input
          id={inputId}
          value={text}
          required
          aria-describedby={hintId}
          placeholder={`42 or …:${namespace}:v1:{42}`}
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit">Open entry</button>
      </form>
      <p className="hint" id={hintId}>
        Opens what every tier holds for it: the decoded value, the stored bytes, the envelope and which instances keep it in L1.
      </p>
    </Panel>
  );
}
