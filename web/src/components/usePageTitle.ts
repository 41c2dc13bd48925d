import { useEffect } from "react";

/** Sets the document title, so that each page is announced and tabs are told apart. */
export function usePageTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · Folio` : "Folio";
  }, [title]);
}
