import { useSyncExternalStore } from "react";

export const ROUTES = [
  { path: "dashboard", label: "Dashboard" },
  { path: "users", label: "Users" },
  { path: "cache", label: "Cache browser" },
  { path: "lab", label: "Stampede lab" },
] as const;

export type Route = (typeof ROUTES)[number]["path"];

/** The page named by the URL fragment (`#/users`), Dashboard when none or unknown. */
export function routeOf(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  return ROUTES.find((route) => route.path === path)?.path ?? "dashboard";
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

/** The current page; links are plain `<a href="#/users">`, so back, forward and new tabs work. */
export function useRoute(): Route {
  return routeOf(useSyncExternalStore(subscribe, () => window.location.hash));
}
