import { useQuery } from "@tanstack/react-query";
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

/** Header, navigation, the emulation banner and the current page. */
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
      <EmulationBanner />
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <Page />
      </main>
    </div>
  );
}

/** Shown on every page while the API runs on its in-process Redis emulation (one instance only). */
function EmulationBanner() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.cache.stats.queryOptions(undefined, { refetchInterval: 1_000 }));
  if (stats.data?.instance.redisMode !== "emulated") return null;
  return (
    <aside className="banner" aria-label="Redis emulation">
      <strong>Embedded Redis emulation.</strong> REDIS_URL is unset and no Redis answered, so this API keeps L2 in an in-process emulation:
      nothing is shared with other instances and the stampede lab runs on one instance only. Set REDIS_URL for a real cluster.
    </aside>
  );
}
