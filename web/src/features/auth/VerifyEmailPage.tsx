import { useEffect, useRef } from "react";
import { Link, useSearchParams } from "react-router";
import { useMe } from "../../auth/session";
import { Loading } from "../../components/QueryState";
import { usePageTitle } from "../../components/usePageTitle";
import { isInvalidToken, useVerifyEmail } from "./api";
import { AuthError } from "./AuthError";
import { InvalidLink } from "./InvalidLink";

export function VerifyEmailPage() {
  usePageTitle("Confirm your email address");
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const verify = useVerifyEmail();
  const me = useMe();
  const { mutate } = verify;
  // The token is single-use: post it once, even when StrictMode runs effects twice.
  const posted = useRef<string | null>(null);

  useEffect(() => {
    if (!token || posted.current === token) return;
    posted.current = token;
    mutate(token);
  }, [token, mutate]);

  const resend = me.data
    ? { to: "/account", label: "Go to your account" }
    : { to: "/login", label: "Sign in" };
  let body;
  if (!token || isInvalidToken(verify.error)) {
    body = <InvalidLink requestAgain={resend} />;
  } else if (verify.isSuccess) {
    body = (
      <>
        <p className="notice" role="status">Your email address is confirmed.</p>
        <p>
          <Link to="/books">Browse the books</Link>
        </p>
      </>
    );
  } else if (verify.isError) {
    body = (
      <>
        <AuthError error={verify.error} />
        <button type="button" onClick={() => mutate(token)}>Try again</button>
      </>
    );
  } else {
    body = <Loading label="Confirming your email address…" />;
  }

  return (
    <div className="narrow">
      <h1>Confirm your email address</h1>
      {body}
    </div>
  );
}
