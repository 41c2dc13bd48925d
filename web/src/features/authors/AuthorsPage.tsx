import { Link } from "react-router";
import { useMe } from "../../auth/session";
import { Empty, QueryState } from "../../components/QueryState";
import { Pagination } from "../../components/Pagination";
import { usePageTitle } from "../../components/usePageTitle";
import { useQueryParams } from "../../components/useQueryParams";
import { type AuthorSort, useAuthors } from "./api";
import { formatDate, plural, RouteNotice, SearchForm, SortSelect } from "../../components/ListControls";
import "../../components/lists.css";

const SORTS: { value: AuthorSort; label: string }[] = [
  { value: "name", label: "Name, A–Z" },
  { value: "name-desc", label: "Name, Z–A" },
  { value: "newest", label: "Newest first" },
];

function excerpt(text: string, length = 180): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length).trimEnd()}…` : flat;
}

export function AuthorsPage() {
  usePageTitle("Authors");
  const { params, update, page } = useQueryParams();
  const q = params.get("q") ?? "";
  const sort = SORTS.find((option) => option.value === params.get("sort"))?.value ?? "name";
  const authors = useAuthors({ q, sort, page });
  const me = useMe();

  return (
    <>
      <div className="page-head">
        <h1>Authors</h1>
        {me.data ? (
          <Link className="button primary" to="/authors/new">Add an author</Link>
        ) : me.isPending ? null : (
          <Link to="/login?next=%2Fauthors%2Fnew">Sign in to add an author</Link>
        )}
      </div>
      <RouteNotice />
      <div className="list-controls">
        <SearchForm label="Search authors by name" value={q} onSearch={(value) => update({ q: value })} />
        <SortSelect value={sort} options={SORTS} onChange={(value) => update({ sort: value === "name" ? null : value })} />
      </div>
      <QueryState query={authors}>
        {(data) => {
          const items = data.items ?? [];
          const total = data.total ?? 0;
          return (
            <>
              <p className="meta list-summary" role="status">
                {q ? `${plural(total, "author")} matching “${q}”` : plural(total, "author")}
              </p>
              {items.length === 0 ? (
                <Empty>
                  {page > 1 && total > 0 ? (
                    <>
                      There are no authors on this page.{" "}
                      <button type="button" className="link" onClick={() => update({ page: null })}>Go to the first page</button>
                    </>
                  ) : q ? (
                    "No authors match your search. Try another name."
                  ) : (
                    "No authors yet."
                  )}
                </Empty>
              ) : (
                <ul className="card-list" aria-busy={authors.isPlaceholderData || undefined}>
                  {items.map((author) => (
                    <li key={author.id} className="card">
                      <div className="card-body">
                        <h2>
                          <Link to={`/authors/${author.slug}`}>{author.name}</Link>
                        </h2>
                        {author.dob ? <p className="meta">Born {formatDate(author.dob)}</p> : null}
                        {author.bio ? <p className="meta">{excerpt(author.bio)}</p> : null}
                      </div>
                    </li>
                  ))}
                </ul>
              )}
              <Pagination
                total={total}
                limit={data.limit ?? 20}
                offset={data.offset ?? 0}
                onPage={(next) => update({ page: next > 1 ? next : null })}
              />
            </>
          );
        }}
      </QueryState>
    </>
  );
}
