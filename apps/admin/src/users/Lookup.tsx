import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useImperativeHandle, useState } from "react";
import { ErrorNotice, Panel } from "../components/Panel.js";
import { TableWrap } from "../components/TableWrap.js";
import { duration } from "../format.js";
import { type LookupResult, useTRPCClient } from "../trpc.js";
import { missReason, type RecentWrite } from "./miss-reason.js";
import { SOURCE_LABELS } from "./sources.js";

export interface LookupHandle {
  lookUp(id: number): void;
}

interface Entry extends LookupResult {
  at: number;
  /** Why it went past both tiers, when it did. */
  missedBecause: string | null;
}

/** Look a profile up by id and see which tier answered and how long it took; the history shows the tier change. */
export function Lookup({
  ref,
  writes = [],
  writePolicy,
}: {
  ref?: React.Ref<LookupHandle>;
  writes?: readonly RecentWrite[];
  /** The API's PROFILE_WRITE_POLICY, shown so the source after an edit can be read against it. */
  writePolicy?: "invalidate" | "write-through";
}) {
  const client = useTRPCClient();
  const [id, setId] = useState("");
  const [history, setHistory] = useState<Entry[]>([]);
  const inputId = useId();
  const lookup = useMutation({
    mutationFn: (userId: number) => client.inspect.lookup.query({ id: userId }),
    onSuccess: (result) =>
      setHistory((previous) => {
        const at = Date.now();
        const previousLookupAt = previous.find((entry) => entry.id === result.id)?.at;
        const missedBecause = missReason(result, at, previousLookupAt, writes);
        return [{ ...result, at, missedBecause }, ...previous].slice(0, 12);
      }),
  });
  useImperativeHandle(ref, () => ({
    lookUp(userId: number) {
      setId(String(userId));
      lookup.mutate(userId);
    },
  }));

  function submit(event: FormEvent) {
    event.preventDefault();
    const userId = Number(id);
    if (Number.isInteger(userId) && userId > 0) lookup.mutate(userId);
  }

  const latest = history[0];
  return (
    <Panel title="Look up a profile">
      {writePolicy && (
        <p className="muted" data-write-policy={writePolicy}>
          Write policy: <strong>{writePolicy}</strong>.{" "}
          {writePolicy === "write-through"
            ? "An edit stores the new row in the cache (ordered by its row version): the next lookup is a cache hit."
            : "An edit deletes the cached profile: the next lookup comes from the database."}
        </p>
      )}
      <form className="inline" onSubmit={submit}>
        <label htmlFor={inputId}>User id</label>
        <input id={inputId} type="number" min={1} step={1} required value={id} onChange={(event) => setId(event.target.value)} />
        <button type="submit" disabled={lookup.isPending}>
          {lookup.isPending ? "Looking up…" : "Look up"}
        </button>
      </form>
      {lookup.isError && <ErrorNotice error={lookup.error} />}
      <div className="lookup-result" role="status" aria-label="Lookup result" aria-live="polite">
        {latest ? (
          <LookupAnswer entry={latest} />
        ) : (
          <p className="muted">
            Look an id up twice: a cold id comes from the database, the next answer from L1. The list below reads its profiles through the
            cache as well, so listed ids are often warm already.
          </p>
        )}
      </div>
      {history.length > 0 && (
        <TableWrap label="Lookup history">
          <table aria-label="Lookup history">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Id</th>
                <th scope="col">Source</th>
                <th scope="col">Time</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {history.map((entry) => (
                <tr key={entry.at}>
                  <td>{new Date(entry.at).toLocaleTimeString()}</td>
                  <td>{entry.id}</td>
                  <td>
                    <span className={`source source-${entry.source}`}>{SOURCE_LABELS[entry.source].name}</span>
                  </td>
                  <td>{duration(entry.ms)}</td>
                  <td>{entry.negative ? <span className="pill negative">negative</span> : entry.user?.username}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Panel>
  );
}

function LookupAnswer({ entry }: { entry: Entry }) {
  const label = SOURCE_LABELS[entry.source];
  return (
    <div>
      <p className="answer-line">
        User {entry.id}: <span className={`source source-${entry.source}`}>{label.name}</span> in {duration(entry.ms)}
        {entry.negative && (
          <span className="pill negative">
            {entry.source === "l1" || entry.source === "l2" ? "negative hit: no such user" : "no such user: absence now cached"}
          </span>
        )}
      </p>
      <p className="muted">
        {label.name}: {label.meaning}.
        {entry.negative && " The absence itself is cached for a few seconds, so repeated lookups of a missing id spare the database."}
      </p>
      {entry.missedBecause && <p className="explanation">{entry.missedBecause}</p>}
      {entry.user && (
        <dl className="facts compact">
          <dt>Username</dt>
          <dd>{entry.user.username}</dd>
          <dt>Display name</dt>
          <dd>{entry.user.displayName}</dd>
          <dt>Email</dt>
          <dd>{entry.user.email}</dd>
          <dt>Updated</dt>
          <dd>{new Date(entry.user.updatedAt).toLocaleString()}</dd>
        </dl>
      )}
    </div>
  );
}
