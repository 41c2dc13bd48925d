import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { NavLink, Outlet, ScrollRestoration, useLocation, useNavigate } from "react-router";
import { api, unwrap } from "../api/client";
import { setUnauthenticatedHandler } from "../api/query";
import { useMe } from "../auth/session";

/** The page frame: skip link, header with the main navigation, the routed page, footer. */
export function Layout() {
  const navigate = useNavigate();
  const location = useLocation();
  const me = useMe();
  const user = me.data;
  const client = useQueryClient();
  const logout = useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/logout")),
    onSettled: async () => {
      // Leave the page first: clearing the cache under it would refetch its queries, now as a visitor.
      await navigate("/login");
      client.clear();
      client.setQueryData(["me"], null);
    },
  });

  useEffect(() => setUnauthenticatedHandler((path) => navigate(path)), [navigate]);
  const firstPath = useRef(location.pathname);
  useEffect(() => {
    // After a navigation (not on the first page load, where Tab should reach the skip link first),
    // move focus to the new page's main region so screen readers and keyboard users start there.
    if (location.pathname === firstPath.current) return;
    firstPath.current = "";
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="site-header">
        <NavLink to="/" className="brand" end>Folio</NavLink>
        <nav aria-label="Main">
          <ul>
            <li><NavLink to="/books">Books</NavLink></li>
            <li><NavLink to="/authors">Authors</NavLink></li>
            <li><NavLink to="/tags">Tags</NavLink></li>
            {user ? <li><NavLink to="/imports">Imports</NavLink></li> : null}
            {user?.isSuperuser ? <li><NavLink to="/admin/users">Users</NavLink></li> : null}
          </ul>
        </nav>
        <div className="account-links">
          {user ? (
            <>
              <NavLink to="/account" aria-label={`Account of ${user.name}`}>{user.name}</NavLink>
              <button type="button" className="link" onClick={() => logout.mutate()} disabled={logout.isPending}>
                Sign out
              </button>
            </>
          ) : me.isPending ? null : (
            <>
              <NavLink to="/login">Sign in</NavLink>
              <NavLink to="/signup" className="button">Sign up</NavLink>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>Folio · <a href="/schema">API documentation</a></p>
      </footer>
      <ScrollRestoration />
    </>
  );
}
