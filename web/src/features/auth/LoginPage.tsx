import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { isStatus } from "../../api/client";
import { Field } from "../../components/Field";
import { usePageTitle } from "../../components/usePageTitle";
import { safeNext, useLogin } from "./api";
import { AuthError } from "./AuthError";

export function LoginPage() {
  usePageTitle("Sign in");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    login.mutate({ email, password }, { onSuccess: () => navigate(safeNext(params.get("next")), { replace: true }) });
  }

  return (
    <div className="narrow">
      <h1>Sign in</h1>
      <form onSubmit={submit}>
        <LoginError error={login.error} />
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={login.isPending}>
            {login.isPending ? "Signing in…" : "Sign in"}
          </button>
          <Link to="/forgot-password">Forgot your password?</Link>
        </div>
      </form>
      <p>
        New to Folio? <Link to="/signup">Create an account</Link>
      </p>
    </div>
  );
}

function LoginError({ error }: { error: unknown }) {
  if (!error) return null;
  if (isStatus(error, 401)) {
    return <p className="form-error" role="alert">The email or password is wrong, or the account is deactivated.</p>;
  }
  return <AuthError error={error} />;
}
