import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { isStatus } from "../../api/client";
import { Field } from "../../components/Field";
import { usePageTitle } from "../../components/usePageTitle";
import { fieldMessage, focusOnMount, useSignup } from "./api";
import { AuthError } from "./AuthError";

const EMAIL_TAKEN = "An account with this email already exists";

export function SignupPage() {
  const signup = useSignup();
  usePageTitle(signup.isSuccess ? "Welcome" : "Sign up");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");

  if (signup.data) {
    return (
      <div className="narrow">
        <h1>Welcome to Folio, {signup.data.name}</h1>
        <p className="notice" role="status" tabIndex={-1} ref={focusOnMount}>
          Your account is ready and you are signed in. We sent an email to <strong>{signup.data.email}</strong> with a
          link to confirm your address.
        </p>
        <p>
          <Link to="/books" className="button primary">Browse the books</Link>
        </p>
      </div>
    );
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    signup.mutate({ email, name, password });
  }

  const taken = isStatus(signup.error, 409);
  return (
    <div className="narrow">
      <h1>Create an account</h1>
      <form onSubmit={submit}>
        {taken ? (
          <p className="form-error" role="alert">Please correct the highlighted fields.</p>
        ) : (
          <AuthError error={signup.error} shownFields={["email", "name", "password"]} />
        )}
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={taken ? EMAIL_TAKEN : fieldMessage(signup.error, "email", "Email")}
        />
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={255}
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldMessage(signup.error, "name", "Name")}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          hint="12–128 characters, not a common password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={fieldMessage(signup.error, "password", "Password")}
        />
        <button type="submit" className="primary" disabled={signup.isPending}>
          {signup.isPending ? "Creating account…" : "Sign up"}
        </button>
      </form>
      <p>
        Already have an account? <Link to="/login">Sign in</Link>
      </p>
    </div>
  );
}
