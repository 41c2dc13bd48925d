import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { errorMessage, isStatus } from "../../api/client";
import type { User } from "../../auth/session";
import { Field } from "../../components/Field";
import { fieldError } from "../../components/FormError";
import { Pagination } from "../../components/Pagination";
import { Empty, QueryState } from "../../components/QueryState";
import { RequireAuth } from "../../components/RequireAuth";
import { usePageTitle } from "../../components/usePageTitle";
import { useQueryParams } from "../../components/useQueryParams";
import { isActive, useCreateImport, useImports } from "./api";
import { formatDateTime } from "./format";
import { StatusBadge } from "./StatusBadge";
import "./imports.css";

const MAX_BYTES = 50 * 1024 * 1024;
const ACCEPT = ".csv,.jsonl,.ndjson,text/csv,application/x-ndjson";

const EXAMPLE_CSV = [
  "title,author,isbn,publishedYear,description,tags",
  '"The Left Hand of Darkness",Ursula K. Le Guin,9780441478125,1969,"An envoy visits the planet Gethen.",science fiction|classics',
  "Kindred,Octavia E. Butler,9780807083697,1979,,science fiction|time travel",
  '"The Hobbit",J. R. R. Tolkien,,1937,"There and back again.",fantasy',
  "",
].join("\n");

function downloadExample() {
  const url = URL.createObjectURL(new Blob([EXAMPLE_CSV], { type: "text/csv" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "folio-import-example.csv";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function ImportsPage() {
  usePageTitle("Imports");
  return <RequireAuth>{(user) => <Imports user={user} />}</RequireAuth>;
}

function Imports({ user }: { user: User }) {
  return (
    <>
      <h1>Import books</h1>
      <UploadForm />
      <h2 id="imports-heading">{user.isSuperuser ? "All imports" : "Your imports"}</h2>
      <ImportList />
    </>
  );
}

function uploadMessage(error: unknown): string {
  if (isStatus(error, 413)) return "The file is too large: an import file may be at most 50 MiB.";
  if (isStatus(error, 415)) return "This kind of file cannot be imported. Choose a CSV or JSON Lines file.";
  return errorMessage(error);
}

function UploadForm() {
  const navigate = useNavigate();
  const create = useCreateImport();
  const [file, setFile] = useState<File | null>(null);
  const tooLarge = file !== null && file.size > MAX_BYTES;
  const fileError = tooLarge ? "This file is over 50 MiB; split it into smaller files." : fieldError(create.error, "file");

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file || tooLarge) return;
    create.mutate(file, { onSuccess: (created) => navigate(`/imports/${created.id}`) });
  }

  return (
    <form className="upload-form" onSubmit={submit} aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload a file</h2>
      <div className="import-help">
        <p>
          A CSV file with a header row, or JSON Lines (one JSON object per line), at most 50 MiB. The columns (or
          keys) are:
        </p>
        <ul className="columns">
          <li><code>title</code> — required</li>
          <li><code>author</code> — the author's name, required; new authors are created</li>
          <li><code>isbn</code> — ISBN-10 or ISBN-13; a book whose ISBN is already in the catalogue is skipped</li>
          <li><code>publishedYear</code> — a year, such as 1969</li>
          <li><code>description</code></li>
          <li><code>tags</code> — tag names separated by <code>|</code>, such as <code>fantasy|classics</code></li>
        </ul>
        <p>Rows with problems are listed afterwards and do not stop the rest of the import.</p>
        <p>
          <button type="button" className="link" onClick={downloadExample}>Download an example CSV file</button>
        </p>
      </div>
      <Field
        label="File to import"
        type="file"
        name="file"
        accept={ACCEPT}
        required
        error={fileError}
        onChange={(event) => {
          create.reset();
          setFile(event.currentTarget.files?.[0] ?? null);
        }}
      />
      {create.error && !fieldError(create.error, "file") ? (
        <p className="form-error" role="alert">{uploadMessage(create.error)}</p>
      ) : null}
      <button type="submit" className="primary" disabled={!file || tooLarge || create.isPending}>
        {create.isPending ? "Uploading…" : "Upload and import"}
      </button>
    </form>
  );
}

function ImportList() {
  const { page, update } = useQueryParams();
  const imports = useImports(page);
  return (
    <QueryState query={imports}>
      {(data) => {
        const items = data.items ?? [];
        if (items.length === 0) return <Empty>No imports yet. Upload a file above to start one.</Empty>;
        return (
          <>
            <div className="table-wrap" role="region" aria-labelledby="imports-heading" tabIndex={0}>
              <table className="import-table">
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">Processed</th>
                    <th scope="col" className="num">Created</th>
                    <th scope="col" className="num">Skipped</th>
                    <th scope="col" className="num">Failed</th>
                    <th scope="col">Uploaded</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((item) => (
                    <tr key={item.id}>
                      <td className="file" data-label="File"><Link to={`/imports/${item.id}`}>{item.filename}</Link></td>
                      <td data-label="Status"><StatusBadge status={item.status} /></td>
                      <td className="num" data-label="Processed">
                        {item.total > 0 ? `${item.processed.toLocaleString()} / ${item.total.toLocaleString()}` : isActive(item.status) ? "—" : "0"}
                      </td>
                      <td className="num" data-label="Created">{item.created.toLocaleString()}</td>
                      <td className="num" data-label="Skipped">{item.skipped.toLocaleString()}</td>
                      <td className="num" data-label="Failed">{item.failed.toLocaleString()}</td>
                      <td data-label="Uploaded"><time dateTime={item.createdAt}>{formatDateTime(item.createdAt)}</time></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination
              total={data.total ?? 0}
              limit={data.limit ?? items.length}
              offset={data.offset ?? 0}
              onPage={(next) => update({ page: next }, false)}
            />
          </>
        );
      }}
    </QueryState>
  );
}
