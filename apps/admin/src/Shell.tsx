import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { CacheBrowser } from "./cache/CacheBrowser.js";
import { Dashboard } from "./dashboard/Dashboard.js";
import { StampedeLab } from "./lab/StampedeLab.js";
import { ROUTES, type Route, useRoute } from "./route.js";
import { useTRPC } from "./trpc.js";
import { UsersPage } from "./users/UsersPage.js";

const PAGES: Record<Route, () => React.JSX.Element> = {
  dashboard: Dashboard,
  users: UsersPage,
  cache: CacheBrowser,
  lab: StampedeLab,
};

/** Header, navigation, the no-Redis notice and the current page. */
export function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const Page = PAGES[route];
  const heading = useRef<HTMLHeadingElement>(null);
  const title = ROUTES.find((r) => r.path === route)?.label ?? "";

  useEffect(() => {
    document.title = `${title} · Hoard admin`;
  }, [title]);

  return (
    <div className="app">
      <button type="button" className="skip-link" onClick={() => heading.current?.focus()}>
        Skip to content
      </button>
      <header className="top">
        <p className="brand">Hoard admin</p>
        <nav aria-label="Main">
          <ul>
            {ROUTES.map((r) => (
              <li key={r.path}>
                <a href={`#/${r.path}`} aria-current={r.path === route ? "page" : undefined}>
                  {r.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <NoRedisBanner />
      <LatencyBanner />
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <Page />
      </main>
    </div>
  );
}

/** Shown on every page while the API runs without Redis (L1 only, one instance): what that leaves out and how to get it. */
function NoRedisBanner() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.cache.stats.queryOptions(undefined, { refetchInterval: 5_000 }));
  if (stats.data?.instance.redisMode !== "none") return null;
  return (
    <aside className="banner" aria-label="No Redis">
      <strong>No Redis: L1 only, one instance.</strong> Nothing answers on 127.0.0.1:6379 and REDIS_URL is unset, so there is no L2, no
      distributed stampede lock, no fenced fills, no invalidation bus and no cluster. To see them, start Redis (
      <code>docker compose up -d</code> or a local <code>redis-server</code>) or set REDIS_URL, then restart <code>pnpm dev</code>.
    </aside>
  );
}

/** Shown on every page while the lab's database latency is above zero (it applies to every instance), with a reset. */
function LatencyBanner() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const stats = useQuery(trpc.cache.stats.queryOptions(undefined, { refetchInterval: 1_000 }));
  const reset = useMutation(
    trpc.lab.setDbLatency.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries(trpc.cache.stats.pathFilter()) }),
  );
  const ms = stats.data?.instance.dbLatencyMs ?? 0;
  if (ms === 0) return null;
  return (
    <aside className="banner latency" aria-label="Database latency">
      <strong>Database latency {ms} ms is on.</strong> The stampede lab added it to every database read on every instance; it stays until
      reset or until the whole cluster restarts (an instance restarted alone picks it up again, and says so in its log).{" "}
      <button type="button" className="secondary" disabled={reset.isPending} onClick={() => reset.mutate({ ms: 0 })}>
        Reset to 0 ms
      </button>
    </aside>
  );
}
