import { type FormEvent, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { canEdit, type User } from "../../auth/session";
import { Field, TextAreaField } from "../../components/Field";
import { fieldError, FormError } from "../../components/FormError";
import { RequireAuth } from "../../components/RequireAuth";
import { usePageTitle } from "../../components/usePageTitle";
import { type Author, type AuthorUpdate, useAuthorBySlug, useCreateAuthor, useUpdateAuthor } from "./api";
import { PageState } from "../../components/PageState";

type Values = { name: string; bio: string; dob: string };

const FIELDS = ["name", "bio", "dob"];

export function NewAuthorPage() {
  usePageTitle("New author");
  const navigate = useNavigate();
  const create = useCreateAuthor();
  return (
    <RequireAuth>
      {() => (
        <div className="narrow">
          <h1>New author</h1>
          <AuthorForm
            initial={{ name: "", bio: "", dob: "" }}
            submitLabel="Create author"
            pending={create.isPending}
            error={create.error}
            cancelTo="/authors"
            onSubmit={(values) =>
              create.mutate(
                { name: values.name, bio: values.bio.trim() || null, dob: values.dob || null },
                { onSuccess: (author) => navigate(`/authors/${author.slug}`) },
              )
            }
          />
        </div>
      )}
    </RequireAuth>
  );
}

export function EditAuthorPage() {
  const { slug = "" } = useParams();
  return <RequireAuth>{(user) => <EditAuthor slug={slug} user={user} />}</RequireAuth>;
}

function EditAuthor({ slug, user }: { slug: string; user: User }) {
  const author = useAuthorBySlug(slug);
  return (
    <PageState query={author} title="Edit author" notFound="Author not found" back={{ to: "/authors", label: "Browse all authors" }}>
      {(data) =>
        canEdit(user, data.createdBy) ? (
          <EditAuthorForm author={data} />
        ) : (
          <Forbidden author={data} />
        )
      }
    </PageState>
  );
}

function Forbidden({ author }: { author: Author }) {
  usePageTitle(`Edit ${author.name}`);
  return (
    <div className="narrow">
      <h1>Edit {author.name}</h1>
      <p className="error-box" role="alert">Only the person who added this author, or an administrator, may change it.</p>
      <p><Link to={`/authors/${author.slug}`}>Back to {author.name}</Link></p>
    </div>
  );
}

function EditAuthorForm({ author }: { author: Author }) {
  usePageTitle(`Edit ${author.name}`);
  const navigate = useNavigate();
  const update = useUpdateAuthor(author);
  const back = `/authors/${author.slug}`;

  function save(values: Values) {
    const changes: AuthorUpdate = {};
    const name = values.name.trim();
    if (name !== author.name) changes.name = name;
    const bio = values.bio.trim() || null;
    if (bio !== (author.bio ?? null)) changes.bio = bio;
    const dob = values.dob || null;
    if (dob !== (author.dob ?? null)) changes.dob = dob;
    if (Object.keys(changes).length === 0) {
      navigate(back);
      return;
    }
    update.mutate(changes, { onSuccess: (updated) => navigate(`/authors/${updated.slug}`) });
  }

  return (
    <div className="narrow">
      <h1>Edit {author.name}</h1>
      <AuthorForm
        initial={{ name: author.name, bio: author.bio ?? "", dob: author.dob ?? "" }}
        submitLabel="Save changes"
        pending={update.isPending}
        error={update.error}
        cancelTo={back}
        onSubmit={save}
      />
    </div>
  );
}

function AuthorForm({
  initial,
  submitLabel,
  pending,
  error,
  cancelTo,
  onSubmit,
}: {
  initial: Values;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  cancelTo: string;
  onSubmit: (values: Values) => void;
}) {
  const [values, setValues] = useState(initial);
  const set = (key: keyof Values) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [key]: event.target.value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit(values);
  }

  return (
    <form onSubmit={submit}>
      <FormError error={error} shownFields={FIELDS} />
      <Field
        label="Name"
        name="name"
        required
        maxLength={255}
        autoComplete="off"
        value={values.name}
        onChange={set("name")}
        error={fieldError(error, "name")}
      />
      <TextAreaField
        label="Biography"
        name="bio"
        maxLength={10000}
        rows={8}
        value={values.bio}
        onChange={set("bio")}
        error={fieldError(error, "bio")}
        hint="Optional. Line breaks are kept."
      />
      <Field
        label="Date of birth"
        name="dob"
        type="date"
        value={values.dob}
        onChange={set("dob")}
        error={fieldError(error, "dob")}
        hint="Optional."
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Saving…" : submitLabel}
        </button>
        <Link to={cancelTo}>Cancel</Link>
      </div>
    </form>
  );
}
