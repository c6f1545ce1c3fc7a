import type { ProfileStoreFactory } from "@hoard/api";

/** Every read from Postgres (with the lab's latency, like a cache's load); writes straight to Postgres. */
export const noCache: ProfileStoreFactory = ({ repository, loadRow }) => ({
  store: {
    byId: (id) => loadRow(id),
    create: (fields) => repository.create(fields),
    update: (id, patch) => repository.update(id, patch),
    delete: (id) => repository.delete(id),
  },
  close: async () => {},
});
