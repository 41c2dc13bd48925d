import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api, type Schemas, unwrap, upload } from "../../api/client";

export type Import = Schemas["Import"];

export const PAGE_SIZE = 20;

/** Queued and running imports still change; finished ones (succeeded or failed) do not. */
export function isActive(status: string): boolean {
  return status === "queued" || status === "running";
}

export function useImports(page: number) {
  return useQuery({
    queryKey: ["imports", "list", { page }],
    queryFn: () => unwrap(api.GET("/api/imports", { params: { query: { currentPage: page, pageSize: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items?.some((item) => isActive(item.status)) ? 2000 : false),
  });
}

export function useImport(id: string) {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: ["imports", "detail", id],
    queryFn: () => unwrap(api.GET("/api/imports/{import_id}", { params: { path: { import_id: id } } })),
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? 1000 : false),
    staleTime: 0,
  });

  // When an import finishes, the catalogue lists and the import list are out of date.
  const status = query.data?.status;
  const previous = useRef(status);
  useEffect(() => {
    if (previous.current && isActive(previous.current) && status && !isActive(status)) {
      for (const key of [["books"], ["authors"], ["tags"], ["imports", "list"]]) {
        void client.invalidateQueries({ queryKey: key });
      }
    }
    previous.current = status;
  }, [status, client]);

  return query;
}

export function useCreateImport() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (file: File) => upload<Import>("POST", "/api/imports", file),
    onSuccess: (created) => {
      client.setQueryData(["imports", "detail", created.id], created);
      void client.invalidateQueries({ queryKey: ["imports", "list"] });
    },
  });
}
