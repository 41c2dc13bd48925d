import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { loginPath } from "../api/query";
import { type User, useMe } from "../auth/session";
import { Loading, QueryState } from "./QueryState";

/** Renders `children` for a signed-in user (a superuser when `admin`); sends visitors to the login page. */
export function RequireAuth({ children, admin = false }: { children: (user: User) => ReactNode; admin?: boolean }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading />;
  return (
    <QueryState query={me}>
      {(user) => {
        if (!user) return <Navigate to={loginPath(location.pathname + location.search)} replace />;
        if (admin && !user.isSuperuser) {
          return <p className="error-box" role="alert">This page is for administrators.</p>;
        }
        return children(user);
      }}
    </QueryState>
  );
}
