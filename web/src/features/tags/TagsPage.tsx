import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { isStatus } from "../../api/client";
import { useMe } from "../../auth/session";
import { Field } from "../../components/Field";
import { fieldError, FormError } from "../../components/FormError";
import { Pagination } from "../../components/Pagination";
import { Empty, QueryState } from "../../components/QueryState";
import { usePageTitle } from "../../components/usePageTitle";
import { useQueryParams } from "../../components/useQueryParams";
import { plural, RouteNotice, SearchForm, SortSelect } from "../../components/ListControls";
import "../../components/lists.css";
import { type Tag, type TagSort, useCreateTag, useTags } from "./api";

const SORTS: { value: TagSort; label: string }[] = [
  { value: "books", label: "Most books" },
  { value: "name", label: "Name, A–Z" },
];

export function TagsPage() {
  usePageTitle("Tags");
  const { params, update, page } = useQueryParams();
  const q = params.get("q") ?? "";
  const sort = SORTS.find((option) => option.value === params.get("sort"))?.value ?? "books";
  const tags = useTags({ q, sort, page });
  const me = useMe();

  return (
    <>
      <h1>Tags</h1>
      {me.data ? <NewTagForm /> : me.isPending ? null : <p><Link to="/login?next=%2Ftags">Sign in to add a tag</Link></p>}
      <RouteNotice />
      <div className="list-controls">
        <SearchForm label="Search tags" value={q} onSearch={(value) => update({ q: value })} />
        <SortSelect value={sort} options={SORTS} onChange={(value) => update({ sort: value === "books" ? null : value })} />
      </div>
      <QueryState query={tags}>
        {(data) => {
          const items = data.items ?? [];
          const total = data.total ?? 0;
          return (
            <>
              <p className="meta list-summary" role="status">
                {q ? `${plural(total, "tag")} matching “${q}”` : plural(total, "tag")}
              </p>
              {items.length === 0 ? (
                <Empty>
                  {page > 1 && total > 0 ? (
                    <>
                      There are no tags on this page.{" "}
                      <button type="button" className="link" onClick={() => update({ page: null })}>Go to the first page</button>
                    </>
                  ) : q ? (
                    "No tags match your search."
                  ) : (
                    "No tags yet."
                  )}
                </Empty>
              ) : (
                <ul className="tag-list count-tags" aria-busy={tags.isPlaceholderData || undefined}>
                  {items.map((tag) => (
                    <li key={tag.id}>
                      <Link className="tag" to={`/tags/${tag.id}`}>
                        {tag.name} <span>· {plural(tag.bookCount, "book")}</span>
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
              <Pagination
                total={total}
                limit={data.limit ?? 50}
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

function NewTagForm() {
  const [name, setName] = useState("");
  const [created, setCreated] = useState<Tag | null>(null);
  const create = useCreateTag();

  function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    create.mutate(name.trim(), {
      onSuccess: (tag) => {
        setCreated(tag);
        setName("");
      },
      // Focus the field so that its error, tied to it, is read out.
      onError: () => document.getElementById("new-tag-name")?.focus(),
    });
  }

  const nameError =
    fieldError(create.error, "name") ?? (isStatus(create.error, 409) ? "A tag with this name already exists." : undefined);
  return (
    <section className="new-tag" aria-labelledby="new-tag-heading">
      <h2 id="new-tag-heading" className="visually-hidden">Add a tag</h2>
      <form className="inline-form" onSubmit={submit}>
        <Field
          label="New tag"
          id="new-tag-name"
          name="name"
          required
          maxLength={255}
          autoComplete="off"
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={nameError}
        />
        <button type="submit" disabled={create.isPending}>{create.isPending ? "Adding…" : "Add tag"}</button>
      </form>
      {create.error && !nameError ? <FormError error={create.error} /> : null}
      <p role="status" className="meta">
        {created ? (
          <>
            Tag <Link to={`/tags/${created.id}`}>{created.name}</Link> created.
          </>
        ) : null}
      </p>
    </section>
  );
}
