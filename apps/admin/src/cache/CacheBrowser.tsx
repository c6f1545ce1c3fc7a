import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ConfirmDialog } from "../components/Dialog.js";
import { ErrorNotice, Panel, QueryView } from "../components/Panel.js";
import { TableWrap } from "../components/TableWrap.js";
import { lookupShares } from "../dashboard/metrics.js";
import { bytes, count, countdown, percent } from "../format.js";
import { type RouterInputs, useTRPC, useTRPCClient } from "../trpc.js";
import { EntryDetails } from "./EntryDetails.js";
import { EntryFilter } from "./EntryFilter.js";
import { TagInvalidate } from "./TagInvalidate.js";
import { remainingMs, useNow } from "./use-now.js";
import { VersionDemo } from "./VersionDemo.js";

type NamespaceName = RouterInputs["cache"]["entries"]["namespace"];
type Tier = "l1" | "l2";

const PAGE_SIZE = 50;
/** Counting L2 walks SCAN pages (only when asked); stop after this many keys and say "at least". */
const COUNT_CAP = 20_000;

/** Namespaces with their versions and entry counts; entries with their TTL counting down; invalidate and clear. */
export function CacheBrowser() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.cache.stats.queryOptions(undefined, { refetchInterval: 2_000 }));
  const [selected, setSelected] = useState<NamespaceName | null>(null);
  const [clearing, setClearing] = useState<NamespaceName | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const clear = useMutation(
    trpc.cache.clear.mutationOptions({
      onSuccess: (result) => {
        setClearing(null);
        setNotice(
          `Cleared namespace ${result.namespace}: ${count(result.removedFromL2)} keys removed from Redis, and every instance dropped its L1 copies.`,
        );
        void queryClient.invalidateQueries(trpc.cache.pathFilter());
        void queryClient.invalidateQueries({ queryKey: ["entry-count"] });
      },
    }),
  );
  const namespace = selected ?? (stats.data?.namespaces[0]?.name as NamespaceName | undefined) ?? null;

  return (
    <div className="grid">
      <Panel title="Namespaces" className="wide">
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <QueryView query={stats} what="namespaces">
          {(data) =>
            data.namespaces.length === 0 ? (
              <p className="muted">No namespace has been used yet on this instance.</p>
            ) : (
              <TableWrap label="Namespaces">
                <table aria-label="Namespaces">
                  <thead>
                    <tr>
                      <th scope="col">Namespace</th>
                      <th scope="col">Version</th>
                      <th scope="col">L1 entries (this instance)</th>
                      <th scope="col">L2 entries (Redis)</th>
                      <th scope="col">Hit rate (L1 + L2)</th>
                      <th scope="col" className="actions-cell">
                        Actions
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.namespaces.map((ns) => (
                      <NamespaceRow
                        key={ns.name}
                        namespace={ns.name as NamespaceName}
                        version={ns.version}
                        hitRate={lookupShares(ns.counters).hitRate}
                        current={ns.name === namespace}
                        onBrowse={() => setSelected(ns.name as NamespaceName)}
                        onClear={() => setClearing(ns.name as NamespaceName)}
                      />
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )
          }
        </QueryView>
        <p className="hint">
          Entry counts are taken when you ask (they page through the keys with SCAN), not on every refresh. The hit rate is the dashboard's:
          lookups answered from L1 or L2, of all lookups of the namespace on this instance.
        </p>
      </Panel>
      {namespace && <EntryFilter namespace={namespace} onOpen={setOpened} />}
      <TagInvalidate />
      {namespace && opened !== null && <EntryDetails key={opened} namespace={namespace} id={opened} onClose={() => setOpened(null)} />}
      {namespace && <Entries key={namespace} namespace={namespace} onNotice={setNotice} onOpen={setOpened} />}
      <VersionDemo />
      <ConfirmDialog
        title={`Clear namespace ${clearing ?? ""}?`}
        open={clearing !== null}
        confirmLabel="Clear namespace"
        busy={clear.isPending}
        onCancel={() => {
          setClearing(null);
          clear.reset();
        }}
        onConfirm={() => clearing && clear.mutate({ namespace: clearing })}
      >
        <p>
          Every entry of {clearing} is dropped from Redis and from the L1 of every instance. The next reads all go to the database, which is
          exactly the stampede the lab shows.
        </p>
        {clear.isError && <ErrorNotice error={clear.error} />}
      </ConfirmDialog>
    </div>
  );
}

/** A namespace's entries in one tier, counted when asked by paging through them (SCAN in Redis, so Redis is never blocked). */
function useEntryCount(namespace: NamespaceName, tier: Tier) {
  const client = useTRPCClient();
  return useQuery({
    queryKey: ["entry-count", namespace, tier],
    enabled: false,
    queryFn: async () => {
      let total = 0;
      let cursor = "0";
      do {
        const page = await client.cache.entries.query({ namespace, tier, limit: 1_000, cursor });
        total += page.entries.filter((entry) => entry.expiresInMs > 0).length;
        cursor = page.cursor;
      } while (cursor !== "0" && total < COUNT_CAP);
      return { total, capped: cursor !== "0", at: Date.now() };
    },
  });
}

function Counted({ counted }: { counted: ReturnType<typeof useEntryCount> }) {
  if (counted.isFetching) return <span className="muted">counting…</span>;
  if (counted.isError) return <span className="muted">unavailable</span>;
  if (!counted.data) return <span className="muted">not counted</span>;
  return (
    <span>
      {counted.data.capped ? "≥ " : ""}
      {count(counted.data.total)} <span className="muted">at {new Date(counted.data.at).toLocaleTimeString()}</span>
    </span>
  );
}

/** One namespace: version, entry counts (on demand), hit rate, and its actions (kept in view at any width). */
function NamespaceRow({
  namespace,
  version,
  hitRate,
  current,
  onBrowse,
  onClear,
}: {
  namespace: NamespaceName;
  version: number;
  hitRate: number;
  current: boolean;
  onBrowse: () => void;
  onClear: () => void;
}) {
  const l1 = useEntryCount(namespace, "l1");
  const l2 = useEntryCount(namespace, "l2");
  const counting = l1.isFetching || l2.isFetching;
  const counted = l1.data !== undefined || l2.data !== undefined;
  return (
    <tr aria-current={current ? "true" : undefined}>
      <th scope="row">{namespace}</th>
      <td>v{version}</td>
      <td>
        <Counted counted={l1} />
      </td>
      <td>
        <Counted counted={l2} />
      </td>
      <td>{percent(hitRate)}</td>
      <td className="row-actions actions-cell">
        <button
          type="button"
          className="secondary"
          disabled={counting}
          aria-label={`${counted ? "Recount" : "Count"} ${namespace} entries`}
          onClick={() => {
            void l1.refetch();
            void l2.refetch();
          }}
        >
          {counting ? "Counting…" : counted ? "Recount" : "Count"}
        </button>
        <button type="button" className="secondary" onClick={onBrowse}>
          Browse {namespace}
        </button>
        <button type="button" className="danger" onClick={onClear}>
          Clear {namespace}
        </button>
      </td>
    </tr>
  );
}

function Entries({
  namespace,
  onNotice,
  onOpen,
}: {
  namespace: NamespaceName;
  onNotice: (text: string) => void;
  onOpen: (id: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [tier, setTier] = useState<Tier>("l2");
  const [cursors, setCursors] = useState<string[]>(["0"]);
  const cursor = cursors[cursors.length - 1] ?? "0";
  const entries = useQuery(
    trpc.cache.entries.queryOptions(
      { namespace, tier, limit: PAGE_SIZE, cursor },
      { refetchInterval: 5_000, placeholderData: keepPreviousData },
    ),
  );
  const invalidate = useMutation(
    trpc.cache.invalidate.mutationOptions({
      onSuccess: (result) => {
        onNotice(`Invalidated ${result.namespace} ${result.id}: deleted from Redis and from every instance's L1.`);
        void queryClient.invalidateQueries(trpc.cache.pathFilter());
        void queryClient.invalidateQueries({ queryKey: ["entry-count"] });
      },
    }),
  );
  const now = useNow();
  const groupId = useId();

  return (
    <Panel
      title={`Entries of ${namespace}`}
      className="wide"
      actions={
        <fieldset className="segmented" aria-labelledby={groupId}>
          <legend id={groupId} className="visually-hidden">
            Tier
          </legend>
          {(["l2", "l1"] as const).map((value) => (
            <label key={value}>
              <input
                type="radio"
                name={`${groupId}-tier`}
                value={value}
                checked={tier === value}
                onChange={() => {
                  setTier(value);
                  setCursors(["0"]);
                }}
              />
              {value === "l1" ? "L1 (this instance)" : "L2 (Redis)"}
            </label>
          ))}
        </fieldset>
      }
    >
      {invalidate.isError && <ErrorNotice error={invalidate.error} />}
      <QueryView query={entries} what="entries">
        {(page) => {
          const live = page.entries.filter((entry) => remainingMs(entry.expiresInMs, entries.dataUpdatedAt, now) > 0);
          return (
            <>
              {live.length === 0 ? (
                <p className="muted">
                  Nothing cached in {tier === "l1" ? "this instance's L1" : "Redis"} for this namespace. Look a user up to fill it.
                </p>
              ) : (
                <TableWrap label={`Entries in ${tier === "l1" ? "L1" : "L2"}`}>
                  <table aria-label={`Entries in ${tier === "l1" ? "L1" : "L2"}`}>
                    <thead>
                      <tr>
                        <th scope="col">Key</th>
                        <th scope="col">Id</th>
                        <th scope="col">Fresh for</th>
                        <th scope="col">Gone in</th>
                        <th scope="col">Size</th>
                        <th scope="col">Kind</th>
                        <th scope="col">Tags</th>
                        <th scope="col" className="actions-cell">
                          Actions
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {live.map((entry) => {
                        const fresh = remainingMs(entry.freshForMs, entries.dataUpdatedAt, now);
                        return (
                          <tr key={entry.key}>
                            <td>
                              <code className="key">{entry.key}</code>
                            </td>
                            <td>{entry.id}</td>
                            <td>{fresh > 0 ? countdown(fresh) : <span className="pill warn">stale</span>}</td>
                            <td>{countdown(remainingMs(entry.expiresInMs, entries.dataUpdatedAt, now))}</td>
                            <td>{bytes(entry.size)}</td>
                            <td>{entry.negative ? <span className="pill negative">negative</span> : "value"}</td>
                            <td>{entry.tags.length === 0 ? <span className="muted">none</span> : entry.tags.join(", ")}</td>
                            <td className="row-actions actions-cell">
                              <button
                                type="button"
                                className="secondary"
                                aria-label={`Open ${namespace} ${entry.id}`}
                                onClick={() => onOpen(entry.id)}
                              >
                                Open
                              </button>
                              <button
                                type="button"
                                className="secondary"
                                aria-label={`Invalidate ${namespace} ${entry.id}`}
                                disabled={invalidate.isPending}
                                onClick={() => invalidate.mutate({ namespace, id: entry.id })}
                              >
                                Invalidate
                              </button>
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </TableWrap>
              )}
              <div className="pager">
                <button type="button" className="secondary" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
                  Previous page
                </button>
                <button
                  type="button"
                  className="secondary"
                  disabled={page.cursor === "0"}
                  onClick={() => setCursors([...cursors, page.cursor])}
                >
                  Next page
                </button>
              </div>
            </>
          );
        }}
      </QueryView>
    </Panel>
  );
}
