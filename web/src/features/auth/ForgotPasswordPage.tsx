import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { Field } from "../../components/Field";
import { usePageTitle } from "../../components/usePageTitle";
import { fieldMessage, focusOnMount, useForgotPassword } from "./api";
import { AuthError } from "./AuthError";

export function ForgotPasswordPage() {
  usePageTitle("Forgot password");
  const forgot = useForgotPassword();
  const [email, setEmail] = useState("");

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    forgot.mutate({ email });
  }

  return (
    <div className="narrow">
      <h1>Forgot your password?</h1>
      {forgot.isSuccess ? (
        <>
          <p className="notice" role="status" tabIndex={-1} ref={focusOnMount}>
            If an account uses this email, a link to reset its password is on its way. The link works for one hour.
          </p>
          <p>
            <Link to="/login">Back to sign in</Link>
          </p>
        </>
      ) : (
        <>
          <p>Enter the email address of your account and we will send you a link to choose a new password.</p>
          <form onSubmit={submit}>
            <AuthError error={forgot.error} shownFields={["email"]} />
            <Field
              label="Email"
              type="email"
              name="email"
              autoComplete="email"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              error={fieldMessage(forgot.error, "email", "Email")}
            />
            <button type="submit" className="primary" disabled={forgot.isPending}>
              {forgot.isPending ? "Sending…" : "Send reset link"}
            </button>
          </form>
          <p>
            Remembered it? <Link to="/login">Sign in</Link>
          </p>
        </>
      )}
    </div>
  );
}
