import { type FormEvent, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { Field } from "../../components/Field";
import { usePageTitle } from "../../components/usePageTitle";
import { fieldMessage, focusOnMount, isInvalidToken, useResetPassword } from "./api";
import { AuthError } from "./AuthError";
import { InvalidLink } from "./InvalidLink";

const REQUEST_NEW = { to: "/forgot-password", label: "Request a new reset link" };

export function ResetPasswordPage() {
  usePageTitle("Choose a new password");
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const reset = useResetPassword();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const differs = password !== confirm;
    setMismatch(differs);
    if (!differs) reset.mutate({ token, password });
  }

  let body;
  if (!token || isInvalidToken(reset.error)) {
    body = <InvalidLink requestAgain={REQUEST_NEW} />;
  } else if (reset.isSuccess) {
    body = (
      <>
        <p className="notice" role="status" tabIndex={-1} ref={focusOnMount}>
          Your password has been changed. For your safety you were signed out everywhere, and your API tokens were
          revoked.
        </p>
        <p>
          <Link to="/login" className="button primary">Sign in</Link>
        </p>
      </>
    );
  } else {
    body = (
      <form onSubmit={submit}>
        {mismatch ? (
          <p className="form-error" role="alert">Please correct the highlighted fields.</p>
        ) : (
          <AuthError error={reset.error} shownFields={["password"]} />
        )}
        <Field
          label="New password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          hint="12–128 characters, not a common password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={fieldMessage(reset.error, "password", "Password")}
        />
        <Field
          label="Confirm new password"
          type="password"
          name="confirm"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(event) => {
            setConfirm(event.target.value);
            setMismatch(false);
          }}
          error={mismatch ? "The passwords do not match" : undefined}
        />
        <button type="submit" className="primary" disabled={reset.isPending}>
          {reset.isPending ? "Saving…" : "Set new password"}
        </button>
      </form>
    );
  }

  return (
    <div className="narrow">
      <h1>Choose a new password</h1>
      {body}
    </div>
  );
}
