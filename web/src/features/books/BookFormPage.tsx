import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { errorMessage, isStatus } from "../../api/client";
import { canEdit } from "../../auth/session";
import { Field, TextAreaField } from "../../components/Field";
import { FormError, fieldError } from "../../components/FormError";
import { Loading } from "../../components/QueryState";
import { RequireAuth } from "../../components/RequireAuth";
import { usePageTitle } from "../../components/usePageTitle";
import { AuthorCombobox } from "./AuthorCombobox";
import { type AuthorRef, type Book, type BookUpdate, uploadCover, useBook, useCreateBook, useUpdateBook } from "./api";
import { checkCover, CoverInput, coverError } from "./Cover";
import { addTags, TagInput } from "./TagInput";
import "./books.css";

export function NewBookPage() {
  usePageTitle("Add a book");
  return (
    <div className="form-page">
      <h1>Add a book</h1>
      <RequireAuth>{() => <BookForm />}</RequireAuth>
    </div>
  );
}

export function EditBookPage() {
  const { slug = "" } = useParams();
  const book = useBook(slug);
  const notFound = isStatus(book.error, 404);
  usePageTitle(notFound ? "Book not found" : book.data ? `Edit “${book.data.title}”` : "Edit book");

  if (notFound) {
    return (
      <div className="narrow">
        <h1>Book not found</h1>
        <p>
          There is no book at this address. <Link to="/books">Browse all books</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="form-page">
      <h1>{book.data ? `Edit “${book.data.title}”` : "Edit book"}</h1>
      <RequireAuth>
        {(user) => {
          if (book.isPending) return <Loading label="Loading the book…" />;
          if (!book.data) {
            return (
              <div className="error-box" role="alert">
                <p>{errorMessage(book.error)}</p>
                <button type="button" onClick={() => book.refetch()}>
                  Try again
                </button>
              </div>
            );
          }
          if (!canEdit(user, book.data.createdBy)) {
            return (
              <p className="error-box" role="alert">
                Only the person who added this book, or an administrator, may edit it.{" "}
                <Link to={`/books/${book.data.slug}`}>Back to the book</Link>
              </p>
            );
          }
          return <BookForm key={book.data.id} book={book.data} />;
        }}
      </RequireAuth>
    </div>
  );
}

type Values = {
  title: string;
  author: AuthorRef | null;
  isbn: string;
  publishedYear: string;
  description: string;
  tags: string[];
};

function initialValues(book?: Book): Values {
  return {
    title: book?.title ?? "",
    author: book?.author ?? null,
    isbn: book?.isbn ?? "",
    publishedYear: book?.publishedYear?.toString() ?? "",
    description: book?.description ?? "",
    tags: book?.tags.map((tag) => tag.name) ?? [],
  };
}

const orNull = (value: string) => (value.trim() === "" ? null : value.trim());
const text = (value: string) => (value.trim() === "" ? null : value);
const yearOf = (value: string) => (value.trim() === "" ? null : Number(value));
const sameTags = (a: string[], b: string[]) =>
  a.length === b.length && a.every((name) => b.some((other) => other.toLowerCase() === name.toLowerCase()));

/** The form shared by the new and edit pages; without `book` it creates one. */
function BookForm({ book }: { book?: Book }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const initial = useRef(initialValues(book)).current;
  const [values, setValues] = useState(initial);
  const [tagDraft, setTagDraft] = useState("");
  const [cover, setCover] = useState<File | null>(null);
  const [authorMissing, setAuthorMissing] = useState(false);
  const create = useCreateBook();
  const update = useUpdateBook(book?.id ?? "");
  const mutation = book ? update : create;
  // From "Add book" until the cover is uploaded too.
  const [finishing, setFinishing] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const error = mutation.error;
  const pending = mutation.isPending || finishing;
  const coverProblem = cover ? checkCover(cover) : undefined;

  const set = <K extends keyof Values>(key: K, value: Values[K]) => setValues((current) => ({ ...current, [key]: value }));

  // After a failed submit, take keyboard and screen reader users to the first field to fix.
  useEffect(() => {
    if (error || authorMissing) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error, authorMissing]);

  const isbnError = fieldError(error, "isbn") ?? (isStatus(error, 409) ? errorMessage(error) : undefined);
  const shown = ["title", "authorId", "isbn", "publishedYear", "description", "tags"];

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (pending) return;
    if (!values.author) {
      setAuthorMissing(true);
      return;
    }
    setAuthorMissing(false);
    if (coverProblem) {
      form.current?.querySelector<HTMLElement>('input[type="file"]')?.focus();
      return;
    }
    const tags = addTags(values.tags, tagDraft);
    if (tags.length !== values.tags.length) {
      set("tags", tags);
      setTagDraft("");
    }

    if (book) {
      const changes: BookUpdate = {};
      if (values.title !== initial.title) changes.title = values.title;
      if (values.author.id !== initial.author?.id) changes.authorId = values.author.id;
      if (values.isbn.trim() !== initial.isbn) changes.isbn = orNull(values.isbn);
      if (values.publishedYear.trim() !== initial.publishedYear) changes.publishedYear = yearOf(values.publishedYear);
      if (values.description !== initial.description) changes.description = text(values.description);
      if (!sameTags(tags, initial.tags)) changes.tags = tags;
      if (Object.keys(changes).length === 0) {
        navigate(`/books/${book.slug}`);
        return;
      }
      update.mutate(changes, { onSuccess: (saved) => navigate(`/books/${saved.slug}`) });
      return;
    }

    setFinishing(true);
    create.mutate(
      {
        title: values.title,
        authorId: values.author.id,
        isbn: orNull(values.isbn),
        publishedYear: yearOf(values.publishedYear),
        description: text(values.description),
        tags,
      },
      {
        onSuccess: async (saved) => {
          let notice: string | undefined;
          if (cover) {
            try {
              const withCover = await uploadCover(saved.id, cover);
              client.setQueryData(["book", withCover.slug], withCover);
              await client.invalidateQueries({ queryKey: ["books"] });
            } catch (problem) {
              notice = `The book was saved, but its cover was not: ${coverError(problem)}`;
            }
          }
          setFinishing(false);
          navigate(`/books/${saved.slug}`, { state: notice ? { notice } : null });
        },
        onError: () => setFinishing(false),
      },
    );
  }

  return (
    <form ref={form} className="book-form" onSubmit={submit} noValidate>
      {isStatus(error, 409) ? (
        <p className="form-error" role="alert">
          Please correct the highlighted fields.
        </p>
      ) : (
        <FormError error={error} shownFields={shown} />
      )}
      <Field
        label="Title"
        required
        maxLength={255}
        value={values.title}
        onChange={(event) => set("title", event.target.value)}
        error={fieldError(error, "title")}
      />
      <AuthorCombobox
        label="Author"
        allowCreate
        value={values.author}
        onChange={(author) => {
          set("author", author);
          if (author) setAuthorMissing(false);
        }}
        error={authorMissing ? "Choose an author, or type a name to create one." : fieldError(error, "authorId")}
      />
      <div className="form-row">
        <Field
          label="ISBN"
          inputMode="numeric"
          autoComplete="off"
          value={values.isbn}
          onChange={(event) => set("isbn", event.target.value)}
          hint="ISBN-10 or ISBN-13; hyphens and spaces are fine."
          error={isbnError}
        />
        <Field
          label="Published year"
          type="number"
          step={1}
          inputMode="numeric"
          value={values.publishedYear}
          onChange={(event) => set("publishedYear", event.target.value)}
          hint="Negative for years BCE."
          error={fieldError(error, "publishedYear")}
        />
      </div>
      <TextAreaField
        label="Description"
        rows={6}
        maxLength={10000}
        value={values.description}
        onChange={(event) => set("description", event.target.value)}
        error={fieldError(error, "description")}
      />
      <TagInput
        label="Tags"
        tags={values.tags}
        onChange={(tags) => set("tags", tags)}
        draft={tagDraft}
        onDraftChange={setTagDraft}
        error={fieldError(error, "tags")}
      />
      {book ? null : <CoverInput label="Cover image (optional)" file={cover} onFile={setCover} error={coverProblem} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={pending}>
          {mutation.isPending ? "Saving…" : finishing ? "Uploading the cover…" : book ? "Save changes" : "Add book"}
        </button>
        <Link to={book ? `/books/${book.slug}` : "/books"}>Cancel</Link>
      </div>
    </form>
  );
}
