import type { ReactNode } from "react";
import { Link } from "react-router";
import { errorMessage, isStatus } from "../api/client";
import { Loading } from "./QueryState";
import { usePageTitle } from "./usePageTitle";

/**
 * Loading, not-found and error states of a detail page, each with the page's one <h1>;
 * renders `children` once there is data.
 */
export function PageState<T>({
  query,
  title,
  notFound,
  back,
  children,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  title: string;
  notFound: string;
  back: { to: string; label: string };
  children: (data: T) => ReactNode;
}) {
  const missing = isStatus(query.error, 400, 404);
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.isPending) {
    return (
      <>
        <Title title={title} />
        <h1 className="visually-hidden">{title}</h1>
        <Loading />
      </>
    );
  }
  if (missing) {
    return (
      <div className="narrow">
        <Title title={notFound} />
        <h1>{notFound}</h1>
        <p role="status">There is nothing at this address. It may have been deleted.</p>
        <p><Link to={back.to}>{back.label}</Link></p>
      </div>
    );
  }
  return (
    <>
      <Title title={title} />
      <h1>{title}</h1>
      <div className="error-box" role="alert">
        <p>{errorMessage(query.error)}</p>
        <button type="button" onClick={() => query.refetch()}>Try again</button>
      </div>
    </>
  );
}

function Title({ title }: { title: string }) {
  usePageTitle(title);
  return null;
}
