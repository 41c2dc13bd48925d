import { isRouteErrorResponse, Link, useRouteError } from "react-router";

/** Shown for unknown addresses and for a page that failed to load (e.g. after a deploy replaced its chunk). */
export function RouteError() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <main id="main" className="narrow">
      <h1>{notFound ? "Page not found" : "Something went wrong"}</h1>
      <p>{notFound ? "There is nothing at this address." : "This page could not be loaded. Reloading usually helps."}</p>
      <p>
        <Link to="/books">Go to the books</Link>
      </p>
    </main>
  );
}

export function NotFound() {
  return (
    <div className="narrow">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <p>
        <Link to="/books">Go to the books</Link>
      </p>
    </div>
  );
}
