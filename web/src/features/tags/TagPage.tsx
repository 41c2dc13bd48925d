import { type FormEvent, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { errorMessage } from "../../api/client";
import { useMe } from "../../auth/session";
import { ConfirmButton } from "../../components/ConfirmButton";
import { Field } from "../../components/Field";
import { fieldError, FormError } from "../../components/FormError";
import { usePageTitle } from "../../components/usePageTitle";
import { useQueryParams } from "../../components/useQueryParams";
import { BooksSection } from "../books/BooksSection";
import { plural } from "../../components/ListControls";
import { PageState } from "../../components/PageState";
import "../../components/lists.css";
import { type Tag, useDeleteTag, useRenameTag, useTag } from "./api";

export function TagPage() {
  const { id = "" } = useParams();
  const tag = useTag(id);
  return (
    <PageState query={tag} title="Tag" notFound="Tag not found" back={{ to: "/tags", label: "Browse all tags" }}>
      {(data) => <TagDetails tag={data} />}
    </PageState>
  );
}

function TagDetails({ tag }: { tag: Tag }) {
  usePageTitle(`Tag: ${tag.name}`);
  const { update, page } = useQueryParams();
  const user = useMe().data;
  return (
    <>
      <h1>
        <span className="visually-hidden">Tag: </span>
        {tag.name}
      </h1>
      <p className="meta">{plural(tag.bookCount, "book")} with this tag</p>
      <BooksSection
        filter={{ tag: tag.slug }}
        page={page}
        onPage={(next) => update({ page: next > 1 ? next : null })}
        showAuthor
        empty="No books have this tag."
      />
      {user?.isSuperuser ? <ManageTag tag={tag} /> : null}
    </>
  );
}

function ManageTag({ tag }: { tag: Tag }) {
  const navigate = useNavigate();
  const [name, setName] = useState(tag.name);
  const [renamed, setRenamed] = useState(false);
  const rename = useRenameTag(tag);
  const remove = useDeleteTag(tag, () => navigate("/tags", { state: { notice: `The tag “${tag.name}” was deleted.` } }));

  function submit(event: FormEvent) {
    event.preventDefault();
    setRenamed(false);
    const trimmed = name.trim();
    if (trimmed === tag.name) return;
    rename.mutate(trimmed, {
      onSuccess: (updated) => {
        setName(updated.name);
        setRenamed(true);
      },
      onError: () => document.getElementById("tag-name")?.focus(),
    });
  }

  return (
    <section className="manage" aria-labelledby="manage-heading">
      <h2 id="manage-heading">Manage this tag</h2>
      <form className="inline-form" onSubmit={submit}>
        <Field
          label="Name"
          id="tag-name"
          name="name"
          required
          maxLength={255}
          autoComplete="off"
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldError(rename.error, "name")}
          hint="The tag’s address (its slug) stays the same."
        />
        <button type="submit" disabled={rename.isPending}>{rename.isPending ? "Renaming…" : "Rename"}</button>
      </form>
      <FormError error={rename.error} shownFields={["name"]} />
      <p role="status" className="meta">{renamed ? "Tag renamed." : null}</p>
      <div className="actions">
        <ConfirmButton
          question={
            tag.bookCount > 0
              ? `Delete the tag “${tag.name}”? The tag is removed from its ${plural(tag.bookCount, "book")}; the books themselves stay.`
              : `Delete the tag “${tag.name}”? No books have it.`
          }
          confirmLabel="Delete tag"
          disabled={remove.isPending}
          onConfirm={() => remove.mutate()}
        >
          {remove.isPending ? "Deleting…" : "Delete tag"}
        </ConfirmButton>
      </div>
      {remove.error ? (
        <p className="error-box" role="alert">The tag could not be deleted: {errorMessage(remove.error)}</p>
      ) : null}
    </section>
  );
}
