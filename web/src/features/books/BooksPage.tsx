import { type FormEvent, useEffect, useId, useState } from "react";
import { Link } from "react-router";
import { errorMessage } from "../../api/client";
import { useMe } from "../../auth/session";
import { plural } from "../../components/ListControls";
import { Pagination } from "../../components/Pagination";
import { Loading } from "../../components/QueryState";
import { usePageTitle } from "../../components/usePageTitle";
import { useQueryParams } from "../../components/useQueryParams";
import { AuthorCombobox } from "./AuthorCombobox";
import { type Book, type BookSort, isSort, SORTS, useAuthorById, useBooks, usePopularTags } from "./api";
import { Cover } from "./Cover";
import { TagLinks } from "./TagLinks";
import { useDebounced } from "./useDebounced";
import "./books.css";

export function BooksPage() {
  const { params, update, page } = useQueryParams();
  const q = params.get("q") ?? "";
  const authorId = params.get("author") ?? "";
  const tag = params.get("tag") ?? "";
  const sortParam = params.get("sort");
  const sort: BookSort = isSort(sortParam) ? sortParam : "newest";
  const filtered = q !== "" || authorId !== "" || tag !== "";

  const me = useMe();
  const books = useBooks({ q, authorId, tag, sort, page });
  const author = useAuthorById(authorId);
  const tags = usePopularTags();
  usePageTitle(q ? `Books matching “${q}”` : "Books");

  // The search box updates the URL once typing pauses; the URL wins when it changes (back button, links).
  const [text, setText] = useState(q);
  const [shownQ, setShownQ] = useState(q);
  if (shownQ !== q) {
    setShownQ(q);
    setText(q);
  }
  const typed = useDebounced(text.trim());
  useEffect(() => {
    if (typed !== q) update({ q: typed });
    // Only a new pause in typing searches; a change of the URL alone must not.
  }, [typed]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (text.trim() !== q) update({ q: text.trim() });
  }

  const searchId = useId();
  const tagId = useId();
  const sortId = useId();
  const tagItems = tags.data?.items ?? [];
  const tagName = tagItems.find((item) => item.slug === tag)?.name ?? tag;
  const authorRef = author.data ? { id: author.data.id, name: author.data.name, slug: author.data.slug } : null;
  const data = books.data;
  const items = data?.items ?? [];
  const total = data?.total ?? 0;

  const describe = [
    q ? `“${q}”` : null,
    authorId ? `by ${author.data?.name ?? "the chosen author"}` : null,
    tag ? `tagged ${tagName}` : null,
  ].filter(Boolean);

  return (
    <>
      <div className="page-head">
        <h1>Books</h1>
        {me.data ? (
          <Link to="/books/new" className="button primary">
            Add a book
          </Link>
        ) : me.isPending ? null : (
          <Link to={`/login?next=${encodeURIComponent("/books/new")}`}>Sign in to add a book</Link>
        )}
      </div>

      <div className="toolbar books-toolbar" role="search" aria-label="Find books">
        <form className="field" onSubmit={submit}>
          <label htmlFor={searchId}>Search titles</label>
          <div className="combobox-row">
            <input id={searchId} type="search" value={text} onChange={(event) => setText(event.target.value)} />
            <button type="submit">Search</button>
          </div>
        </form>
        <AuthorCombobox
          label="Author"
          placeholder="Any author"
          value={authorRef}
          clearLabel="Clear author filter"
          onChange={(chosen) => update({ author: chosen?.id ?? null })}
        />
        <div className="field">
          <label htmlFor={tagId}>Tag</label>
          <select id={tagId} value={tag} onChange={(event) => update({ tag: event.target.value })}>
            <option value="">All tags</option>
            {tag && !tagItems.some((item) => item.slug === tag) ? <option value={tag}>{tag}</option> : null}
            {tagItems.map((item) => (
              <option key={item.id} value={item.slug}>
                {item.name} ({item.bookCount})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={sortId}>Sort by</label>
          <select id={sortId} value={sort} onChange={(event) => update({ sort: event.target.value === "newest" ? null : event.target.value })}>
            {Object.entries(SORTS).map(([value, { label }]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>

      {books.isPending ? (
        <Loading label="Loading books…" />
      ) : books.error && !data ? (
        <div className="error-box" role="alert">
          <p>{errorMessage(books.error)}</p>
          <div className="actions">
            <button type="button" onClick={() => books.refetch()}>
              Try again
            </button>
            {filtered ? (
              <button type="button" onClick={() => update({ q: null, author: null, tag: null })}>
                Clear filters
              </button>
            ) : null}
          </div>
        </div>
      ) : (
        <>
          <p className="meta result-count" role="status">
            {plural(total, "book")}
            {books.isPlaceholderData ? " · updating…" : ""}
          </p>
          {books.error ? (
            <p className="error-box" role="alert">
              {errorMessage(books.error)}
            </p>
          ) : null}
          {items.length === 0 ? (
            <div className="empty-state">
              {filtered ? (
                <>
                  <p className="empty">No books match {describe.join(" ")}.</p>
                  <button
                    type="button"
                    onClick={() => {
                      update({ q: null, author: null, tag: null });
                      document.getElementById(searchId)?.focus();
                    }}
                  >
                    Clear filters
                  </button>
                </>
              ) : page > 1 ? (
                <>
                  <p className="empty">There are no books on this page.</p>
                  <button type="button" onClick={() => update({ page: null })}>
                    Go to the first page
                  </button>
                </>
              ) : (
                <p className="empty">No books yet.{me.data ? " Add the first one!" : ""}</p>
              )}
            </div>
          ) : (
            <ul className="card-list book-list" aria-busy={books.isPlaceholderData}>
              {items.map((book) => (
                <BookCard key={book.id} book={book} />
              ))}
            </ul>
          )}
          {data ? (
            <Pagination
              total={total}
              limit={data.limit ?? 20}
              offset={data.offset ?? 0}
              onPage={(next) => update({ page: next > 1 ? next : null }, false)}
            />
          ) : null}
        </>
      )}
    </>
  );
}

function BookCard({ book }: { book: Book }) {
  return (
    <li className="card book-card">
      <Cover url={book.coverUrl} title={book.title} />
      <div className="book-card-body">
        <h2>
          <Link to={`/books/${book.slug}`}>{book.title}</Link>
        </h2>
        <p className="meta">
          <Link to={`/authors/${book.author.slug}`}>{book.author.name}</Link>
          {book.publishedYear !== null ? <> · {book.publishedYear}</> : null}
        </p>
        {book.tags.length > 0 ? <TagLinks tags={book.tags} label="Tags" /> : null}
      </div>
    </li>
  );
}
