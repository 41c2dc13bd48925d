import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "../../api/client";

export type Author = Schemas["Author"];
export type AuthorCreate = Schemas["AuthorCreate"];
export type AuthorUpdate = Schemas["AuthorUpdate"];

export const PAGE_SIZE = 20;

export type AuthorSort = "name" | "name-desc" | "newest";

const AUTHOR_ORDER: Record<AuthorSort, { orderBy: "name" | "createdAt"; sortOrder: "asc" | "desc" }> = {
  name: { orderBy: "name", sortOrder: "asc" },
  "name-desc": { orderBy: "name", sortOrder: "desc" },
  newest: { orderBy: "createdAt", sortOrder: "desc" },
};

export function useAuthors({ q, sort, page }: { q: string; sort: AuthorSort; page: number }) {
  return useQuery({
    queryKey: ["authors", { q, sort, page }],
    queryFn: () =>
      unwrap(
        api.GET("/api/authors", {
          params: { query: { searchString: q || undefined, currentPage: page, pageSize: PAGE_SIZE, ...AUTHOR_ORDER[sort] } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useAuthorBySlug(slug: string) {
  return useQuery({
    queryKey: ["author", slug],
    queryFn: () => unwrap(api.GET("/api/authors/by-slug/{slug}", { params: { path: { slug } } })),
  });
}

export function useCreateAuthor() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AuthorCreate) => unwrap(api.POST("/api/authors", { body })),
    onSuccess: (author) => {
      client.setQueryData(["author", author.slug], author);
      return client.invalidateQueries({ queryKey: ["authors"] });
    },
  });
}

export function useUpdateAuthor(author: Author) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AuthorUpdate) =>
      unwrap(api.PATCH("/api/authors/{author_id}", { params: { path: { author_id: author.id } }, body })),
    onSuccess: (updated) => {
      client.setQueryData(["author", updated.slug], updated);
      // Books embed the author's name.
      return Promise.all([
        client.invalidateQueries({ queryKey: ["authors"] }),
        client.invalidateQueries({ queryKey: ["books"] }),
        client.invalidateQueries({ queryKey: ["book"] }),
      ]);
    },
  });
}

/** Deletes the author; `onDeleted` should leave the author's page before its cached data goes. */
export function useDeleteAuthor(author: Author, onDeleted: () => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/authors/{author_id}", { params: { path: { author_id: author.id } } })),
    onSuccess: () => {
      onDeleted();
      client.removeQueries({ queryKey: ["author", author.slug] });
      return client.invalidateQueries({ queryKey: ["authors"] });
    },
  });
}
