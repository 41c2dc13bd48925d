import { Link, useNavigate, useParams } from "react-router";
import { errorMessage, isStatus } from "../../api/client";
import { canEdit, useMe } from "../../auth/session";
import { ConfirmButton } from "../../components/ConfirmButton";
import { usePageTitle } from "../../components/usePageTitle";
import { useQueryParams } from "../../components/useQueryParams";
import { type Author, useAuthorBySlug, useDeleteAuthor } from "./api";
import { BooksSection } from "../books/BooksSection";
import { formatDate } from "../../components/ListControls";
import { PageState } from "../../components/PageState";
import "../../components/lists.css";

export function AuthorPage() {
  const { slug = "" } = useParams();
  const author = useAuthorBySlug(slug);
  return (
    <PageState query={author} title="Author" notFound="Author not found" back={{ to: "/authors", label: "Browse all authors" }}>
      {(data) => <AuthorDetails author={data} />}
    </PageState>
  );
}

function AuthorDetails({ author }: { author: Author }) {
  usePageTitle(author.name);
  const navigate = useNavigate();
  const { update, page } = useQueryParams();
  const user = useMe().data;
  const remove = useDeleteAuthor(author, () =>
    navigate("/authors", { state: { notice: `The author “${author.name}” was deleted.` } }),
  );

  return (
    <>
      <div className="page-head">
        <h1>{author.name}</h1>
        {canEdit(user, author.createdBy) ? (
          <div className="actions">
            <Link className="button" to={`/authors/${author.slug}/edit`}>Edit<span className="visually-hidden"> {author.name}</span></Link>
            <ConfirmButton
              question={`Delete the author “${author.name}”? This cannot be undone.`}
              confirmLabel="Delete author"
              disabled={remove.isPending}
              onConfirm={() => remove.mutate()}
            >
              {remove.isPending ? "Deleting…" : "Delete"}
            </ConfirmButton>
          </div>
        ) : null}
      </div>
      {remove.error ? (
        <div className="error-box" role="alert">
          {isStatus(remove.error, 409) ? (
            <p>
              {author.name} cannot be deleted because the author still has books. Delete their books, or give them another
              author, first.
            </p>
          ) : (
            <p>The author could not be deleted: {errorMessage(remove.error)}</p>
          )}
        </div>
      ) : null}
      {author.dob ? <p className="meta">Born {formatDate(author.dob)}</p> : null}
      {author.bio ? <p className="bio">{author.bio}</p> : <p className="meta">No biography yet.</p>}
      <BooksSection
        filter={{ authorId: author.id, orderBy: "publishedYear" }}
        page={page}
        onPage={(next) => update({ page: next > 1 ? next : null })}
        empty={`No books by ${author.name} yet.`}
      />
    </>
  );
}
