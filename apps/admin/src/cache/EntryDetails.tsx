import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorNotice, Panel, QueryView } from "../components/Panel.js";
import { TableWrap } from "../components/TableWrap.js";
import { bytes, countdown, duration } from "../format.js";
import { type RouterInputs, type RouterOutputs, useTRPC } from "../trpc.js";
import { hexDump } from "./entry-filter.js";
import { useInvalidateTag } from "./use-invalidate-tag.js";
import { useNow } from "./use-now.js";

type NamespaceName = RouterInputs["cache"]["entries"]["namespace"];
type Entry = RouterOutputs["cache"]["entry"];

/** Time left until an absolute epoch-ms instant, as the ticking "4:05" or "expired". */
function left(until: number, now: number): string {
  return countdown(until - now);
}

/** One entry opened: decoded value, raw stored bytes, codec, envelope fields, TTL ticking, and the instances holding it in L1. */
export function EntryDetails({ namespace, id, onClose }: { namespace: NamespaceName; id: string; onClose: () => void }) {
  const trpc = useTRPC();
  const entry = useQuery(trpc.cache.entry.queryOptions({ namespace, id }, { refetchInterval: 5_000 }));
  return (
    <Panel
      title={`Entry ${namespace} ${id}`}
      className="wide"
      actions={
        <div className="actions">
          <button type="button" className="secondary" onClick={() => void entry.refetch()}>
            Refresh
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Close entry
          </button>
        </div>
      }
    >
      <QueryView query={entry} what={`entry ${id}`}>
        {(data) => <EntryBody entry={data} />}
      </QueryView>
    </Panel>
  );
}

/** An entry's tags, each with a button that invalidates it everywhere. */
function EntryTags({ tags }: { tags: string[] }) {
  const [notice, setNotice] = useState<string | null>(null);
  const invalidate = useInvalidateTag(setNotice);
  if (tags.length === 0) return <span className="muted">none</span>;
  return (
    <>
      <ul className="tags" aria-label="Tags">
        {tags.map((tag) => (
          <li key={tag}>
            <span className="pill">{tag}</span>{" "}
            <button
              type="button"
              className="secondary"
              aria-label={`Invalidate tag ${tag}`}
              disabled={invalidate.isPending}
              onClick={() => invalidate.mutate({ tag })}
            >
              Invalidate tag
            </button>
          </li>
        ))}
      </ul>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {invalidate.isError && <ErrorNotice error={invalidate.error} />}
    </>
  );
}

function EntryBody({ entry }: { entry: Entry }) {
  const now = useNow();
  const l2 = entry.l2;
  const holders = entry.l1Holders.filter((holder) => holder.copy);
  return (
    <div className="entry">
      <dl className="facts">
        <dt>Key</dt>
        <dd>
          <code className="key">{entry.key}</code>
        </dd>
        <dt>Version</dt>
        <dd>v{entry.version} (part of the key: a bump makes every old key unreachable at once)</dd>
        <dt>Codec</dt>
        <dd>{entry.codec}</dd>
        <dt>Tags</dt>
        <dd>
          <EntryTags tags={entry.tags} />
        </dd>
        {l2 ? (
          <>
            <dt>Kind</dt>
            <dd>
              {l2.negative ? <span className="pill negative">negative: cached absence</span> : "value"}
              {l2.expired && <span className="pill warn">expired on demand: served stale while one refresh runs</span>}
              {l2.tagVerdict === "expired" && <span className="pill warn">expired by a tag: served stale while one refresh runs</span>}
              {l2.tagVerdict === "invalid" && (
                <span className="pill bad">
                  dead: a tag was invalidated after its load began; no instance serves it, the next read removes it
                </span>
              )}
            </dd>
            <dt>Fresh until</dt>
            <dd>
              {new Date(l2.freshUntil).toLocaleTimeString()} · <span className="ticking">{left(l2.freshUntil, now)}</span> left
            </dd>
            <dt>Stale until</dt>
            <dd>
              {new Date(l2.staleUntil).toLocaleTimeString()} · <span className="ticking">{left(l2.staleUntil, now)}</span> left (served
              stale after fresh-until only while the database fails)
            </dd>
            <dt>Load took</dt>
            <dd>{duration(l2.loadMs)} (drives early refresh)</dd>
            <dt>Stored size</dt>
            <dd>
              {bytes(l2.size)}: a {l2.headerBytes}-byte envelope header, then the {entry.codec} payload
            </dd>
          </>
        ) : (
          <>
            <dt>In Redis (L2)</dt>
            <dd className="muted">not held: only L1 copies remain (they expire with their own times)</dd>
          </>
        )}
        <dt>Held in L1 by</dt>
        <dd>
          {holders.length === 0
            ? "no instance"
            : `${holders.length} of ${entry.l1Holders.length} live ${entry.l1Holders.length === 1 ? "instance" : "instances"}`}
        </dd>
      </dl>
      <TableWrap label="L1 copies per instance">
        <table aria-label="L1 copies per instance">
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Holds it in L1</th>
              <th scope="col">Fresh for</th>
            </tr>
          </thead>
          <tbody>
            {entry.l1Holders.map((holder) => (
              <tr key={holder.instanceId}>
                <td>
                  <code title={holder.url}>{holder.instanceId.slice(0, 8)}</code>
                </td>
                <td>{holder.error ? `did not answer (${holder.error})` : holder.copy ? "yes" : "no"}</td>
                <td>{holder.copy ? left(holder.copy.freshUntil, now) : "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {l2 && (
        <>
          <h3>Decoded value</h3>
          {l2.decodeError ? (
            <p className="error">The stored bytes do not decode: {l2.decodeError}</p>
          ) : (
            <TableWrap label="Decoded value" className="bytes-wrap">
              <pre className="bytes">{l2.negative ? "null (no such row: the absence is cached)" : JSON.stringify(l2.value, null, 2)}</pre>
            </TableWrap>
          )}
          <h3>Payload as UTF-8</h3>
          <TableWrap label="Payload as UTF-8" className="bytes-wrap">
            <pre className="bytes wrapped">{l2.payloadUtf8 || "(empty: a negative marker has no payload)"}</pre>
          </TableWrap>
          <h3>Raw stored bytes (hex)</h3>
          <TableWrap label="Raw stored bytes" className="bytes-wrap">
            <pre className="bytes">{hexDump(l2.hex)}</pre>
          </TableWrap>
          <p className="hint">
            The first {l2.headerBytes} bytes are the envelope: 48 ("H") and the format byte, a flags byte (1 = negative, 2 = expired on
            demand, 4 = tagged), fresh-until and stale-until as 13 ASCII digits each (epoch ms), and the load time (u32, little-endian); a
            tagged entry then has its tag block (the tag sequence its load began at, 13 ASCII digits, a u16 length, the tags). The payload
            follows.
          </p>
        </>
      )}
    </div>
  );
}
