import { type FormEvent, useState } from "react";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { fieldMessage } from "../auth/api";
import { useChangePassword } from "./api";

export function PasswordSection() {
  const change = useChangePassword();
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    change.mutate(
      { currentPassword, newPassword },
      {
        onSuccess: () => {
          setCurrentPassword("");
          setNewPassword("");
        },
      },
    );
  }

  return (
    <section className="account-section" aria-labelledby="password-heading">
      <h2 id="password-heading">Change password</h2>
      <form onSubmit={submit}>
        <FormError error={change.error} shownFields={["currentPassword", "newPassword"]} />
        {change.isSuccess ? (
          <p className="notice" role="status">
            Your password has been changed. Your other sessions were signed out; this one stays signed in.
          </p>
        ) : null}
        <Field
          label="Current password"
          type="password"
          name="currentPassword"
          autoComplete="current-password"
          required
          value={currentPassword}
          onChange={(event) => setCurrentPassword(event.target.value)}
          error={fieldMessage(change.error, "currentPassword", "Current password")}
        />
        <Field
          label="New password"
          type="password"
          name="newPassword"
          autoComplete="new-password"
          required
          hint="12–128 characters, not a common password. Changing it signs out your other sessions."
          value={newPassword}
          onChange={(event) => setNewPassword(event.target.value)}
          error={fieldMessage(change.error, "newPassword", "New password")}
        />
        <button type="submit" className="primary" disabled={change.isPending}>
          {change.isPending ? "Changing…" : "Change password"}
        </button>
      </form>
    </section>
  );
}
