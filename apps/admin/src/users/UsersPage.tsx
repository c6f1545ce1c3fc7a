import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { ConfirmDialog, Dialog } from "../components/Dialog.js";
import { ErrorNotice, Panel, QueryView } from "../components/Panel.js";
import { TableWrap } from "../components/TableWrap.js";
import { type UserProfile, useTRPC } from "../trpc.js";
import { Lookup, type LookupHandle } from "./Lookup.js";
import type { RecentWrite } from "./miss-reason.js";
import { SeedUsers } from "./SeedUsers.js";
import { UserForm } from "./UserForm.js";

const PAGE_SIZE = 10;

/** Lookups with their source, a paged list, and create/edit/delete that show the invalidation. */
export function UsersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const lookup = useRef<LookupHandle>(null);
  const [cursors, setCursors] = useState<number[]>([0]);
  const cursor = cursors[cursors.length - 1] ?? 0;
  // The list reads profiles through the cache, so it is not refetched on its own (writes update or refetch it):
  // every refetch would warm the keys and hide which read comes first after an invalidation.
  const list = useQuery(
    trpc.user.list.queryOptions(
      { cursor, limit: PAGE_SIZE },
      { placeholderData: (previous) => previous, staleTime: Number.POSITIVE_INFINITY },
    ),
  );
  const writePolicy = useQuery(trpc.inspect.writePolicy.queryOptions(undefined, { staleTime: Number.POSITIVE_INFINITY })).data?.profiles;
  const [editing, setEditing] = useState<UserProfile | null>(null);
  const [deleting, setDeleting] = useState<UserProfile | null>(null);
  const [notice, setNotice] = useState<{ id: number; text: string } | null>(null);

  const [writes, setWrites] = useState<RecentWrite[]>([]);
  const afterWrite = (id: number, text: string, refetchList = false, kind: RecentWrite["kind"] = "saved") => {
    setNotice({ id, text });
    setWrites((previous) => [...previous.slice(-49), { id, at: Date.now(), kind }]);
    if (refetchList) void queryClient.invalidateQueries(trpc.user.list.pathFilter());
    void queryClient.invalidateQueries(trpc.cache.pathFilter());
  };

  const [createFormKey, setCreateFormKey] = useState(0);
  const create = useMutation(
    trpc.user.create.mutationOptions({
      onSuccess: (user) => {
        setCreateFormKey((key) => key + 1);
        afterWrite(
          user.id,
          `Created user ${user.id} (${user.username}). Its id was invalidated in case it had been cached as absent.`,
          true,
          "created",
        );
      },
    }),
  );
  const update = useMutation(
    trpc.user.update.mutationOptions({
      onSuccess: (user) => {
        setEditing(null);
        // Patch the listed row in place rather than refetch the list: a refetch would read the profile
        // through the cache and hide what the invalidation did; the next lookup should be the first read.
        queryClient.setQueriesData<{ items: UserProfile[]; nextCursor: number | null }>(trpc.user.list.pathFilter(), (page) =>
          page ? { ...page, items: page.items.map((item) => (item.id === user.id ? user : item)) } : page,
        );
        afterWrite(
          user.id,
          writePolicy === "write-through"
            ? `Saved user ${user.id}. Write-through: the new row was stored in L2 with its version (an older one is refused) and every other instance dropped its L1 copy; the next read comes from the cache.`
            : `Saved user ${user.id}. Its cache entry was deleted in L2 and in every instance's L1; the next read comes from the database.`,
          false,
          writePolicy === "write-through" ? "written-through" : "saved",
        );
      },
    }),
  );
  const remove = useMutation(
    trpc.user.delete.mutationOptions({
      onSuccess: ({ id }) => {
        setDeleting(null);
        afterWrite(
          id,
          `Deleted user ${id} and invalidated its cache entry; a lookup now finds no such user (and caches that).`,
          true,
          "deleted",
        );
      },
    }),
  );

  return (
    <div className="grid">
      <Lookup ref={lookup} writes={writes} writePolicy={writePolicy} />
      <Panel title="New user">
        <UserForm
          key={createFormKey}
          submitLabel="Create user"
          busy={create.isPending}
          error={create.error}
          onSubmit={(fields) => create.mutate(fields)}
        />
      </Panel>
      <SeedUsers />
      <Panel
        title="Users"
        className="wide"
        actions={
          <div className="pager">
            <button type="button" className="secondary" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
            <span className="muted">Page {cursors.length}</span>
            <button
              type="button"
              className="secondary"
              disabled={!list.data?.nextCursor}
              onClick={() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}
            >
              Next page
            </button>
          </div>
        }
      >
        {notice && (
          <div className="notice" role="status">
            <p>{notice.text}</p>
            <button type="button" className="secondary" onClick={() => lookup.current?.lookUp(notice.id)}>
              Look up user {notice.id} now
            </button>
          </div>
        )}
        <QueryView query={list} what="users">
          {(page) =>
            page.items.length === 0 ? (
              <p className="muted">No users yet. Create one above, seed some, or run `pnpm db:seed`.</p>
            ) : (
              <TableWrap label="Users">
                <table aria-label="Users">
                  <thead>
                    <tr>
                      <th scope="col">Id</th>
                      <th scope="col">Username</th>
                      <th scope="col">Display name</th>
                      <th scope="col">Email</th>
                      <th scope="col" className="actions-cell">
                        Actions
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((user) => (
                      <tr key={user.id}>
                        <td>{user.id}</td>
                        <td>{user.username}</td>
                        <td>{user.displayName}</td>
                        <td>{user.email}</td>
                        <td className="row-actions actions-cell">
                          <button
                            type="button"
                            className="secondary"
                            aria-label={`Look up ${user.username}`}
                            onClick={() => lookup.current?.lookUp(user.id)}
                          >
                            Look up
                          </button>
                          <button type="button" className="secondary" aria-label={`Edit ${user.username}`} onClick={() => setEditing(user)}>
                            Edit
                          </button>
                          <button type="button" className="danger" aria-label={`Delete ${user.username}`} onClick={() => setDeleting(user)}>
                            Delete
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )
          }
        </QueryView>
      </Panel>
      <Dialog
        title={`Edit ${editing?.username ?? ""}`}
        open={editing !== null}
        onClose={() => {
          setEditing(null);
          update.reset();
        }}
      >
        {editing && (
          <UserForm
            initial={editing}
            submitLabel="Save"
            busy={update.isPending}
            error={update.error}
            onCancel={() => {
              setEditing(null);
              update.reset();
            }}
            onSubmit={(fields) => update.mutate({ id: editing.id, patch: fields })}
          />
        )}
      </Dialog>
      <ConfirmDialog
        title={`Delete ${deleting?.username ?? ""}?`}
        open={deleting !== null}
        confirmLabel="Delete user"
        busy={remove.isPending}
        onCancel={() => {
          setDeleting(null);
          remove.reset();
        }}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
      >
        <p>User {deleting?.id} is deleted from Postgres, then its cache entry is invalidated in every instance. This cannot be undone.</p>
        {remove.isError && <ErrorNotice error={remove.error} />}
      </ConfirmDialog>
    </div>
  );
}
