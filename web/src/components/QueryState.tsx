import type { ReactNode } from "react";
import { errorMessage, isStatus } from "../api/client";

/** Loading, error and not-found states of a query; renders `children` once there is data. */
export function QueryState<T>({
  query,
  children,
  notFound = "Not found.",
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  children: (data: T) => ReactNode;
  notFound?: string;
}) {
  if (query.isPending) return <Loading />;
  if (query.error) {
    if (isStatus(query.error, 404)) return <p className="empty" role="status">{notFound}</p>;
    return (
      <div className="error-box" role="alert">
        <p>{errorMessage(query.error)}</p>
        <button type="button" onClick={() => query.refetch()}>Try again</button>
      </div>
    );
  }
  return <>{children(query.data as T)}</>;
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return <p className="loading" role="status" aria-live="polite">{label}</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty" role="status">{children}</p>;
}
