import { useId } from "react";
import { Link, useParams } from "react-router";
import { errorMessage, isStatus } from "../../api/client";
import { QueryState } from "../../components/QueryState";
import { RequireAuth } from "../../components/RequireAuth";
import { usePageTitle } from "../../components/usePageTitle";
import { type Import, isActive, useImport } from "./api";
import { formatDateTime, formatDuration, plural } from "./format";
import { StatusBadge } from "./StatusBadge";
import "./imports.css";

export function ImportPage() {
  const { id = "" } = useParams();
  return <RequireAuth>{() => <ImportView id={id} />}</RequireAuth>;
}

function ImportView({ id }: { id: string }) {
  const query = useImport(id);
  // A malformed id is a 400; to the reader it is just as missing as an unknown one.
  const missing = isStatus(query.error, 400, 404);
  usePageTitle(query.data ? `Import of ${query.data.filename}` : missing ? "Import not found" : "Import");

  if (missing) {
    return (
      <>
        <h1>Import not found</h1>
        <p>There is no import at this address, or it belongs to someone else.</p>
        <p><Link to="/imports">Go to your imports</Link></p>
      </>
    );
  }
  return (
    <>
      <p><Link to="/imports">← All imports</Link></p>
      <h1>{query.data ? `Import of ${query.data.filename}` : "Import"}</h1>
      {query.data ? (
        <>
          {query.isRefetchError ? (
            <p className="form-error" role="alert">Could not refresh the progress: {errorMessage(query.error)}</p>
          ) : null}
          <ImportDetails item={query.data} />
        </>
      ) : (
        <QueryState query={query}>{() => null}</QueryState>
      )}
    </>
  );
}

function progressText(item: Import): string {
  const rows = `${item.processed.toLocaleString()} of ${item.total.toLocaleString()} rows processed`;
  switch (item.status) {
    case "queued":
      return "Waiting to start…";
    case "running":
      // While running, `total` is counted from the file's lines, so it can be slightly more than the rows.
      return item.total > 0 ? `Running: ${item.processed.toLocaleString()} of about ${item.total.toLocaleString()} rows processed.` : "Running: counting rows…";
    case "succeeded":
      return `Finished: ${rows}.`;
    default:
      return `Stopped: ${rows}.`;
  }
}

function ImportDetails({ item }: { item: Import }) {
  const progressId = useId();
  const active = isActive(item.status);
  const known = item.total > 0;
  const duration =
    item.startedAt && item.finishedAt ? Date.parse(item.finishedAt) - Date.parse(item.startedAt) : null;

  return (
    <>
      <p>Status: <StatusBadge status={item.status} /></p>
      {item.status === "failed" ? (
        <div className="error-box" role="alert">
          <p>The import stopped: {item.message ?? "the file could not be read."}</p>
        </div>
      ) : null}

      <div className="progress-block">
        <label htmlFor={progressId}>Progress</label>
        {known ? (
          <progress id={progressId} value={item.processed} max={item.total} />
        ) : active ? (
          <progress id={progressId} />
        ) : (
          <progress id={progressId} value={0} max={1} />
        )}
        <p role="status" aria-live="polite">{progressText(item)}</p>
      </div>

      <h2>{active ? "So far" : "Result"}</h2>
      <dl className="counts">
        <div><dt>Created</dt><dd>{item.created.toLocaleString()}</dd></div>
        <div><dt>Skipped (already there)</dt><dd>{item.skipped.toLocaleString()}</dd></div>
        <div><dt>Failed</dt><dd>{item.failed.toLocaleString()}</dd></div>
      </dl>

      <dl className="times">
        <dt>Uploaded</dt>
        <dd><time dateTime={item.createdAt}>{formatDateTime(item.createdAt)}</time></dd>
        <dt>Started</dt>
        <dd>{item.startedAt ? <time dateTime={item.startedAt}>{formatDateTime(item.startedAt)}</time> : "Not yet"}</dd>
        <dt>Finished</dt>
        <dd>{item.finishedAt ? <time dateTime={item.finishedAt}>{formatDateTime(item.finishedAt)}</time> : "Not yet"}</dd>
        {duration !== null ? (
          <>
            <dt>Duration</dt>
            <dd>{formatDuration(duration)}</dd>
          </>
        ) : null}
      </dl>

      {item.errors.length > 0 ? <RowErrors item={item} /> : null}

      {!active ? (
        <p className="actions">
          {item.created > 0 ? <Link to="/books" className="button">Browse the books</Link> : null}
          <Link to="/imports" className="button">Import another file</Link>
        </p>
      ) : null}
    </>
  );
}

function RowErrors({ item }: { item: Import }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>Rows that could not be imported</h2>
      {item.failed > item.errors.length ? (
        <p>
          Only the first {plural(item.errors.length, "problem")} of {plural(item.failed, "failed row")} are listed.
        </p>
      ) : null}
      <div className="table-wrap" role="region" aria-labelledby={headingId} tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col" className="num">Line</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {item.errors.map((error) => (
              <tr key={`${error.line}-${error.message}`}>
                <td className="num">{error.line}</td>
                <td>{error.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
