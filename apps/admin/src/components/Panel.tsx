import type { UseQueryResult } from "@tanstack/react-query";
import { type ReactNode, useEffect, useId } from "react";
import { describeError, isTransient, RETRY_EVERY_MS } from "../errors.js";

/** A titled section of a page. */
export function Panel({
  title,
  actions,
  children,
  className,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  const id = useId();
  return (
    <section className={`panel ${className ?? ""}`} aria-labelledby={id}>
      <div className="panel-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/**
 * The states every panel shows: loading, failed (with the reason and a retry),
 * and loaded; when a refresh fails after data arrived, the data stays with a notice.
 */
export function QueryView<T, E = unknown>({
  query,
  children,
  what,
}: {
  query: UseQueryResult<T, E>;
  children: (data: T) => ReactNode;
  what: string;
}) {
  const failing = query.isError && isTransient(query.error);
  const { refetch } = query;
  // "Retries on its own" must be true for every panel, polled or not: ask again while the failure lasts.
  useEffect(() => {
    if (!failing) return;
    const timer = setInterval(() => void refetch(), RETRY_EVERY_MS);
    return () => clearInterval(timer);
  }, [failing, refetch]);
  if (query.isPending) {
    return (
      <p className="muted" role="status">
        Loading {what}…
      </p>
    );
  }
  if (query.isError && query.data === undefined) {
    return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  }
  return (
    <>
      {query.isError && <ErrorNotice error={query.error} onRetry={() => void query.refetch()} stale />}
      {children(query.data as T)}
    </>
  );
}

export function ErrorNotice({ error, onRetry, stale }: { error: unknown; onRetry?: () => void; stale?: boolean }) {
  return (
    <div className="error" role="alert">
      <p>
        {stale ? "Live updates stopped. " : ""}
        {describeError(error)}
      </p>
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          Retry now
        </button>
      )}
    </div>
  );
}

/** One labelled number; `role="group"` with the label as its name, so tests and screen readers find it by name. */
export function Stat({ label, value, detail }: { label: string; value: ReactNode; detail?: ReactNode }) {
  const id = useId();
  return (
    // biome-ignore lint/a11y/useSemanticElements: a label and its number, not a form: fieldset would be wrong; "group" gives it a name
    <div className="stat" role="group" aria-labelledby={id}>
      <span className="stat-label" id={id}>
        {label}
      </span>
      <span className="stat-value">{value}</span>
      {detail !== undefined && <span className="stat-detail">{detail}</span>}
    </div>
  );
}
