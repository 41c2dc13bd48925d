import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { ApiError } from "./client";

/** Where a 401 sends the user: the login page, with the page to come back to. */
export function loginPath(next = window.location.pathname + window.location.search): string {
  return next.startsWith("/login") ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}

let onUnauthenticated: (path: string) => void = (path) => window.location.assign(path);

/** The router registers its `navigate` here so that a 401 anywhere leads to the login page without a reload. */
export function setUnauthenticatedHandler(handler: (path: string) => void): void {
  onUnauthenticated = handler;
}

/** Pages a visitor uses to get in: a late 401 from the page they left must not send them away. */
const SIGN_IN_PAGES = ["/login", "/signup", "/forgot-password", "/reset-password", "/verify-email"];

function handle401(error: unknown, meta: Record<string, unknown> | undefined): void {
  if (SIGN_IN_PAGES.includes(window.location.pathname)) return;
  if (error instanceof ApiError && error.status === 401 && !meta?.["allowAnonymous"]) {
    queryClient.setQueryData(["me"], null);
    onUnauthenticated(loginPath());
  }
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (error, query) => handle401(error, query.meta) }),
  mutationCache: new MutationCache({ onError: (error, _v, _c, mutation) => handle401(error, mutation.meta) }),
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
    mutations: { retry: false },
  },
});
