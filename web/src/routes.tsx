import { createBrowserRouter, Navigate, type RouteObject } from "react-router";
import { Layout } from "./components/Layout";
import { Loading } from "./components/QueryState";
import { NotFound, RouteError } from "./components/RouteError";

/** Every page is its own chunk, loaded when first visited, so the initial download stays small. */
function page(load: () => Promise<Record<string, unknown>>, name: string): Pick<RouteObject, "lazy"> {
  return { lazy: async () => ({ Component: (await load())[name] as React.ComponentType }) };
}

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <Loading />,
    children: [
      { index: true, element: <Navigate to="/books" replace /> },
      { path: "login", ...page(() => import("./features/auth/LoginPage"), "LoginPage") },
      { path: "signup", ...page(() => import("./features/auth/SignupPage"), "SignupPage") },
      { path: "forgot-password", ...page(() => import("./features/auth/ForgotPasswordPage"), "ForgotPasswordPage") },
      { path: "reset-password", ...page(() => import("./features/auth/ResetPasswordPage"), "ResetPasswordPage") },
      { path: "verify-email", ...page(() => import("./features/auth/VerifyEmailPage"), "VerifyEmailPage") },
      { path: "books", ...page(() => import("./features/books/BooksPage"), "BooksPage") },
      { path: "books/new", ...page(() => import("./features/books/BookFormPage"), "NewBookPage") },
      { path: "books/:slug", ...page(() => import("./features/books/BookPage"), "BookPage") },
      { path: "books/:slug/edit", ...page(() => import("./features/books/BookFormPage"), "EditBookPage") },
      { path: "authors", ...page(() => import("./features/authors/AuthorsPage"), "AuthorsPage") },
      { path: "authors/new", ...page(() => import("./features/authors/AuthorFormPage"), "NewAuthorPage") },
      { path: "authors/:slug", ...page(() => import("./features/authors/AuthorPage"), "AuthorPage") },
      { path: "authors/:slug/edit", ...page(() => import("./features/authors/AuthorFormPage"), "EditAuthorPage") },
      { path: "tags", ...page(() => import("./features/tags/TagsPage"), "TagsPage") },
      { path: "tags/:id", ...page(() => import("./features/tags/TagPage"), "TagPage") },
      { path: "imports", ...page(() => import("./features/imports/ImportsPage"), "ImportsPage") },
      { path: "imports/:id", ...page(() => import("./features/imports/ImportPage"), "ImportPage") },
      { path: "account", ...page(() => import("./features/account/AccountPage"), "AccountPage") },
      { path: "admin/users", ...page(() => import("./features/admin/UsersPage"), "UsersPage") },
      { path: "*", element: <NotFound /> },
    ],
  },
];

export const router = createBrowserRouter(routes);
