import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "../../api/client";

export type AdminUpdate = Schemas["UserAdminUpdate"];

export const PAGE_SIZE = 20;

export function useUsers(search: string, page: number) {
  return useQuery({
    queryKey: ["users", "list", { search, page }],
    queryFn: () =>
      unwrap(
        api.GET("/api/users", {
          params: { query: { currentPage: page, pageSize: PAGE_SIZE, searchString: search || undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useUpdateUser(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (changes: AdminUpdate) =>
      unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: id } }, body: changes })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["users"] }),
  });
}

export function useDeleteUser(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/users/{user_id}", { params: { path: { user_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["users"] }),
  });
}
