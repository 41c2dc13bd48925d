import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "../../api/client";

export type Tag = Schemas["Tag"];

export type TagSort = "books" | "name";

const TAG_ORDER: Record<TagSort, { orderBy: "name" | "bookCount"; sortOrder: "asc" | "desc" }> = {
  books: { orderBy: "bookCount", sortOrder: "desc" },
  name: { orderBy: "name", sortOrder: "asc" },
};

export function useTags({ q, sort, page }: { q: string; sort: TagSort; page: number }) {
  return useQuery({
    queryKey: ["tags", { q, sort, page }],
    queryFn: () =>
      unwrap(
        api.GET("/api/tags", {
          params: { query: { searchString: q || undefined, currentPage: page, pageSize: 50, ...TAG_ORDER[sort] } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useTag(id: string) {
  return useQuery({
    queryKey: ["tag", id],
    queryFn: () => unwrap(api.GET("/api/tags/{tag_id}", { params: { path: { tag_id: id } } })),
  });
}

export function useCreateTag() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/tags", { body: { name } })),
    onSuccess: (tag) => {
      client.setQueryData(["tag", tag.id], tag);
      return client.invalidateQueries({ queryKey: ["tags"] });
    },
  });
}

export function useRenameTag(tag: Tag) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) =>
      unwrap(api.PATCH("/api/tags/{tag_id}", { params: { path: { tag_id: tag.id } }, body: { name } })),
    onSuccess: (renamed) => {
      client.setQueryData(["tag", tag.id], renamed);
      // Books list their tags by name.
      return Promise.all([
        client.invalidateQueries({ queryKey: ["tags"] }),
        client.invalidateQueries({ queryKey: ["books"] }),
        client.invalidateQueries({ queryKey: ["book"] }),
      ]);
    },
  });
}

/** Deletes the tag; `onDeleted` should leave the tag's page before its cached data goes. */
export function useDeleteTag(tag: Tag, onDeleted: () => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/tags/{tag_id}", { params: { path: { tag_id: tag.id } } })),
    onSuccess: () => {
      onDeleted();
      client.removeQueries({ queryKey: ["tag", tag.id] });
      return Promise.all([
        client.invalidateQueries({ queryKey: ["tags"] }),
        client.invalidateQueries({ queryKey: ["books"] }),
        client.invalidateQueries({ queryKey: ["book"] }),
      ]);
    },
  });
}
