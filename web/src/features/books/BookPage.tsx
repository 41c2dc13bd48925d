import { type FormEvent, useEffect, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { errorMessage, isStatus } from "../../api/client";
import { canEdit, useMe } from "../../auth/session";
import { ConfirmButton } from "../../components/ConfirmButton";
import { Loading } from "../../components/QueryState";
import { usePageTitle } from "../../components/usePageTitle";
import { type Book, useBook, useDeleteBook, useDeleteCover, useUploadCover } from "./api";
import { checkCover, Cover, CoverInput, coverError } from "./Cover";
import { TagLinks } from "./TagLinks";
import "./books.css";

export function BookPage() {
  const { slug = "" } = useParams();
  const book = useBook(slug);
  const notFound = isStatus(book.error, 404);
  usePageTitle(notFound ? "Book not found" : (book.data?.title ?? "Book"));

  if (book.data && !notFound) return <BookDetails book={book.data} />;
  if (book.isPending) {
    return (
      <>
        <h1 className="visually-hidden">Book</h1>
        <Loading label="Loading the book…" />
      </>
    );
  }
  if (notFound) {
    return (
      <div className="narrow">
        <h1>Book not found</h1>
        <p>There is no book at this address. It may have been deleted.</p>
        <p>
          <Link to="/books">Browse all books</Link>
        </p>
      </div>
    );
  }
  return (
    <>
      <h1>Book</h1>
      <div className="error-box" role="alert">
        <p>{errorMessage(book.error)}</p>
        <button type="button" onClick={() => book.refetch()}>
          Try again
        </button>
      </div>
    </>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function Timestamp({ value }: { value: string }) {
  return <time dateTime={value}>{dateFormat.format(new Date(value))}</time>;
}

function BookDetails({ book }: { book: Book }) {
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const remove = useDeleteBook(book);
  const editable = canEdit(me.data, book.createdBy);
  // A problem the form page passes along, e.g. the book was created but its cover was refused.
  const [notice] = useState(() => (location.state as { notice?: string } | null)?.notice);
  useEffect(() => {
    if (notice) navigate(".", { replace: true, state: null });
  }, [notice, navigate]);

  return (
    <article className="book-page">
      <div className="book-head">
        <Cover url={book.coverUrl} title={book.title} large />
        <div className="book-summary">
          <h1>{book.title}</h1>
          <p className="byline">
            by <Link to={`/authors/${book.author.slug}`}>{book.author.name}</Link>
          </p>
          <dl className="book-facts">
            <dt>Published</dt>
            <dd>{book.publishedYear ?? "Unknown"}</dd>
            <dt>ISBN</dt>
            <dd>{book.isbn ?? "None"}</dd>
            <dt>Tags</dt>
            <dd>
              {book.tags.length > 0 ? <TagLinks tags={book.tags} /> : "None"}
            </dd>
            <dt>Added</dt>
            <dd>
              <Timestamp value={book.createdAt} />
            </dd>
            <dt>Updated</dt>
            <dd>
              <Timestamp value={book.updatedAt} />
            </dd>
          </dl>
          {editable ? (
            <div className="actions">
              <Link to={`/books/${book.slug}/edit`} className="button primary">
                Edit book
              </Link>
              <ConfirmButton
                question={`Delete “${book.title}”? This cannot be undone.`}
                confirmLabel="Delete book"
                disabled={remove.isPending}
                onConfirm={() => remove.mutate(undefined, { onSuccess: () => navigate("/books", { replace: true }) })}
              >
                {remove.isPending ? "Deleting…" : "Delete book"}
              </ConfirmButton>
            </div>
          ) : null}
          {remove.error ? (
            <p className="form-error" role="alert">
              Could not delete the book: {errorMessage(remove.error)}
            </p>
          ) : null}
        </div>
      </div>

      {notice ? (
        <p className="error-box" role="alert">
          {notice}
        </p>
      ) : null}

      <section aria-labelledby="description-heading">
        <h2 id="description-heading">Description</h2>
        {book.description ? <p className="description">{book.description}</p> : <p className="empty">No description.</p>}
      </section>

      {editable ? <CoverEditor book={book} /> : null}
    </article>
  );
}

function CoverEditor({ book }: { book: Book }) {
  const [file, setFile] = useState<File | null>(null);
  const [resetKey, setResetKey] = useState(0);
  const [checkError, setCheckError] = useState<string>();
  const [done, setDone] = useState("");
  const uploadCover = useUploadCover(book.id);
  const removeCover = useDeleteCover(book);
  const busy = uploadCover.isPending || removeCover.isPending;

  function choose(next: File | null) {
    setFile(next);
    setDone("");
    uploadCover.reset();
    setCheckError(next ? checkCover(next) : undefined);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) {
      setCheckError("Choose an image first.");
      return;
    }
    uploadCover.mutate(file, {
      onSuccess: () => {
        setFile(null);
        setResetKey((key) => key + 1);
        setDone("The cover was uploaded.");
      },
    });
  }

  return (
    <section aria-labelledby="cover-heading" className="cover-editor">
      <h2 id="cover-heading">Cover</h2>
      <form onSubmit={submit} noValidate>
        <CoverInput
          label={book.coverUrl ? "Replace the cover" : "Upload a cover"}
          file={file}
          onFile={choose}
          resetKey={resetKey}
          error={checkError ?? (uploadCover.error ? coverError(uploadCover.error) : undefined)}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !file || checkError !== undefined}>
            {uploadCover.isPending ? "Uploading…" : "Upload cover"}
          </button>
          {book.coverUrl ? (
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => {
                setDone("");
                removeCover.mutate(undefined, { onSuccess: () => setDone("The cover was removed.") });
              }}
            >
              {removeCover.isPending ? "Removing…" : "Remove cover"}
            </button>
          ) : null}
        </div>
      </form>
      <p role="status" className="notice-text">
        {done}
      </p>
      {removeCover.error ? (
        <p className="form-error" role="alert">
          Could not remove the cover: {errorMessage(removeCover.error)}
        </p>
      ) : null}
    </section>
  );
}
