import { useCallback } from "react";
import { useSearchParams } from "react-router";

/** Read and change the page's URL query, so that filters, sorting and paging survive reloads and links. */
export function useQueryParams() {
  const [params, setParams] = useSearchParams();
  const update = useCallback(
    (changes: Record<string, string | number | null | undefined>, resetPage = true) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [key, value] of Object.entries(changes)) {
            if (value === null || value === undefined || value === "") next.delete(key);
            else next.set(key, String(value));
          }
          if (resetPage && !("page" in changes)) next.delete("page");
          return next;
        },
        { replace: false },
      );
    },
    [setParams],
  );
  const page = Math.max(1, Number(params.get("page")) || 1);
  return { params, update, page };
}
