import { type FormEvent, useId, useState } from "react";
import { createApiClient } from "../api-client.js";
import { describeError, errorCode } from "../errors.js";

/** Asks for the admin token and checks it against the API before keeping it. */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const inputId = useId();
  const hintId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const candidate = token.trim();
    if (!candidate) {
      setError("Enter the admin token.");
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await createApiClient(candidate).instances.list.query();
      onSignedIn(candidate);
    } catch (failure) {
      setError(
        errorCode(failure) === "UNAUTHORIZED"
          ? "Wrong token: the API refused it. Use the ADMIN_TOKEN the API was started with, or the login link it printed at start."
          : describeError(failure),
      );
    } finally {
      setChecking(false);
    }
  }

  return (
    <main className="sign-in">
      <h1>Hoard admin</h1>
      <p>The cache live, user lookups with their source, a cache browser and a stampede lab.</p>
      <form onSubmit={submit} aria-label="Sign in" noValidate>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor={inputId}>Admin token</label>
        <input
          id={inputId}
          type="password"
          autoComplete="current-password"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-describedby={hintId}
          aria-invalid={error ? true : undefined}
          required
        />
        <p id={hintId} className="hint">
          The API's ADMIN_TOKEN. It is kept for this tab only and sent as a bearer token.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={checking}>
          {checking ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
