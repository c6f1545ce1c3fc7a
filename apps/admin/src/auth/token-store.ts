const KEY = "hoard.adminToken";

/** The admin token, kept for this browser tab's session only (sessionStorage). */
export const tokenStore = {
  get(): string | null {
    return sessionStorage.getItem(KEY);
  },
  set(token: string): void {
    sessionStorage.setItem(KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};

/**
 * The API prints a login link `/#token=...` when it made its own token: take the
 * token from the fragment (browsers never send it to the server) and drop it from the address bar.
 * Called at load and on every `hashchange`, so pasting the link into a tab that is already open signs it in.
 */
export function takeTokenFromUrl(): string | null {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return null;
  window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}#/dashboard`);
  return decodeURIComponent(match[1]);
}
