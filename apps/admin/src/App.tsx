import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { createApiClient } from "./api-client.js";
import { SignIn } from "./auth/SignIn.js";
import { takeTokenFromUrl, tokenStore } from "./auth/token-store.js";
import { errorCode, shouldRetry } from "./errors.js";
import { Shell } from "./Shell.js";
import { TRPCProvider } from "./trpc.js";

/** Signed out: the sign-in form. Signed in: the app, with one query client and one API client per token. */
export function App() {
  const [token, setToken] = useState<string | null>(() => {
    const fromUrl = takeTokenFromUrl();
    if (fromUrl) tokenStore.set(fromUrl);
    return tokenStore.get();
  });
  const [signOutReason, setSignOutReason] = useState<string | null>(null);

  // The login link opened in a tab that is already open changes only the fragment: no reload, a hashchange.
  useEffect(() => {
    const onHashChange = () => {
      const fromUrl = takeTokenFromUrl();
      if (!fromUrl) return;
      tokenStore.set(fromUrl);
      setSignOutReason(null);
      setToken(fromUrl);
    };
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, []);

  const signOut = useCallback((reason: string | null) => {
    tokenStore.clear();
    setSignOutReason(reason);
    setToken(null);
  }, []);

  if (!token) {
    return (
      <SignIn
        notice={signOutReason}
        onSignedIn={(accepted) => {
          tokenStore.set(accepted);
          setSignOutReason(null);
          setToken(accepted);
        }}
      />
    );
  }
  return <SignedIn key={token} token={token} onSignOut={signOut} />;
}

function SignedIn({ token, onSignOut }: { token: string; onSignOut: (reason: string | null) => void }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        // A token that stops working (the API restarted with another one) signs the tab out with a reason.
        queryCache: new QueryCache({
          onError: (error) => {
            if (errorCode(error) === "UNAUTHORIZED") onSignOut("The API no longer accepts this token. Sign in again.");
          },
        }),
        defaultOptions: {
          queries: { retry: shouldRetry, refetchOnWindowFocus: false },
          mutations: { retry: false },
        },
      }),
  );
  const [trpcClient] = useState(() => createApiClient(token));
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Shell onSignOut={() => onSignOut(null)} />
      </TRPCProvider>
    </QueryClientProvider>
  );
}
