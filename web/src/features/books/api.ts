import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap, upload } from "../../api/client";

export type Book = Schemas["Book"];
export type AuthorRef = Schemas["AuthorRef"];
export type BookCreate = Schemas["BookCreate"];
export type BookUpdate = Schemas["BookUpdate"];

export const PAGE_SIZE = 20;

export type BookSort = "newest" | "title-asc" | "title-desc" | "year-asc" | "year-desc";

export const SORTS: Record<BookSort, { label: string; orderBy: "title" | "publishedYear" | "createdAt"; sortOrder: "asc" | "desc" }> = {
  newest: { label: "Newest first", orderBy: "createdAt", sortOrder: "desc" },
  "title-asc": { label: "Title A–Z", orderBy: "title", sortOrder: "asc" },
  "title-desc": { label: "Title Z–A", orderBy: "title", sortOrder: "desc" },
  "year-asc": { label: "Oldest publication", orderBy: "publishedYear", sortOrder: "asc" },
  "year-desc": { label: "Newest publication", orderBy: "publishedYear", sortOrder: "desc" },
};

export function isSort(value: string | null): value is BookSort {
  return value !== null && Object.hasOwn(SORTS, value);
}

export type BookFilter = { q: string; authorId: string; tag: string; sort: BookSort; page: number };

export function useBooks({ q, authorId, tag, sort, page }: BookFilter) {
  const { orderBy, sortOrder } = SORTS[sort];
  return useQuery({
    queryKey: ["books", "list", { q, authorId, tag, sort, page }],
    queryFn: () =>
      unwrap(
        api.GET("/api/books", {
          params: {
            query: {
              searchString: q || undefined,
              authorId: authorId || undefined,
              tag: tag || undefined,
              orderBy,
              sortOrder,
              currentPage: page,
              pageSize: PAGE_SIZE,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useBook(slug: string) {
  return useQuery({
    queryKey: ["book", slug],
    queryFn: () => unwrap(api.GET("/api/books/by-slug/{slug}", { params: { path: { slug } } })),
  });
}

/** Authors matching what was typed in a picker (the first 10). */
export function useAuthorOptions(search: string, enabled: boolean) {
  return useQuery({
    queryKey: ["authors", "picker", search],
    queryFn: () =>
      unwrap(api.GET("/api/authors", { params: { query: { searchString: search || undefined, pageSize: 10, orderBy: "name" } } })),
    enabled,
    placeholderData: keepPreviousData,
  });
}

/** One author by id: the name of the author chosen in the list filter. */
export function useAuthorById(id: string) {
  return useQuery({
    queryKey: ["authors", "by-id", id],
    queryFn: () => unwrap(api.GET("/api/authors/{author_id}", { params: { path: { author_id: id } } })),
    enabled: id !== "",
  });
}

export function useCreateAuthor() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/authors", { body: { name } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["authors"] }),
  });
}

/** The most used tags, for the list filter. */
export function usePopularTags() {
  return useQuery({
    queryKey: ["tags", "popular"],
    queryFn: () => unwrap(api.GET("/api/tags", { params: { query: { orderBy: "bookCount", sortOrder: "desc", pageSize: 100 } } })),
  });
}

/** Tags whose name matches what was typed in the tag input. */
export function useTagOptions(search: string, enabled: boolean) {
  return useQuery({
    queryKey: ["tags", "picker", search],
    queryFn: () =>
      unwrap(api.GET("/api/tags", { params: { query: { searchString: search, pageSize: 10, orderBy: "bookCount", sortOrder: "desc" } } })),
    enabled: enabled && search !== "",
    placeholderData: keepPreviousData,
  });
}

/** After a book changed: the lists, the tag counts and author pages may all show it. */
function useBookChanged() {
  const client = useQueryClient();
  return (book: Book | null, slug?: string) => {
    if (book) client.setQueryData(["book", book.slug], book);
    // A deleted book stays cached until its page is left; the next visit refetches (and finds a 404).
    else if (slug) void client.invalidateQueries({ queryKey: ["book", slug], refetchType: "none" });
    return Promise.all([
      client.invalidateQueries({ queryKey: ["books"] }),
      client.invalidateQueries({ queryKey: ["tags"] }),
    ]);
  };
}

export function useCreateBook() {
  const changed = useBookChanged();
  return useMutation({
    mutationFn: (body: BookCreate) => unwrap(api.POST("/api/books", { body })),
    onSuccess: (book) => changed(book),
  });
}

export function useUpdateBook(id: string) {
  const changed = useBookChanged();
  return useMutation({
    mutationFn: (body: BookUpdate) => unwrap(api.PATCH("/api/books/{book_id}", { params: { path: { book_id: id } }, body })),
    onSuccess: (book) => changed(book),
  });
}

export function useDeleteBook(book: Book) {
  const changed = useBookChanged();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/books/{book_id}", { params: { path: { book_id: book.id } } })),
    onSuccess: () => changed(null, book.slug),
  });
}

export function uploadCover(id: string, file: File): Promise<Book> {
  return upload<Book>("PUT", `/api/books/${encodeURIComponent(id)}/cover`, file);
}

export function useUploadCover(id: string) {
  const changed = useBookChanged();
  return useMutation({
    mutationFn: (file: File) => uploadCover(id, file),
    onSuccess: (book) => changed(book),
  });
}

export function useDeleteCover(book: Book) {
  const changed = useBookChanged();
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/books/{book_id}/cover", { params: { path: { book_id: book.id } } })),
    onSuccess: async () => {
      await changed({ ...book, coverUrl: null });
      await client.invalidateQueries({ queryKey: ["book", book.slug] });
    },
  });
}

export type BooksOfFilter = { authorId?: string; tag?: string; orderBy?: "title" | "publishedYear" };

/** A page of books of one author or with one tag (slug), in ascending order of `orderBy` (title by default). */
export function useBooksOf({ orderBy = "title", ...filter }: BooksOfFilter, page: number) {
  return useQuery({
    queryKey: ["books", { ...filter, orderBy, page }],
    queryFn: () =>
      unwrap(
        api.GET("/api/books", {
          params: { query: { ...filter, orderBy, sortOrder: "asc", currentPage: page, pageSize: PAGE_SIZE } },
        }),
      ),
    enabled: Boolean(filter.authorId || filter.tag),
    // While the next page loads, keep showing the previous one, but never another author's or tag's books.
    placeholderData: (previous, query) => {
      const key = query?.queryKey[1] as BooksOfFilter | undefined;
      return key?.authorId === filter.authorId && key?.tag === filter.tag ? previous : undefined;
    },
  });
}
