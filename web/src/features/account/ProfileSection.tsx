import { type FormEvent, useState } from "react";
import type { User } from "../../auth/session";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { fieldMessage } from "../auth/api";
import { useUpdateProfile } from "./api";

export function ProfileSection({ user }: { user: User }) {
  const update = useUpdateProfile();
  const [name, setName] = useState(user.name);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    update.mutate({ name });
  }

  return (
    <section className="account-section" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <form onSubmit={submit}>
        <FormError error={update.error} shownFields={["name"]} />
        {update.isSuccess ? <p className="notice" role="status">Your profile has been saved.</p> : null}
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={255}
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            update.reset();
          }}
          error={fieldMessage(update.error, "name", "Name")}
        />
        <Field
          label="Email"
          type="email"
          readOnly
          value={user.email}
          hint={
            user.isVerified ? (
              <span className="account-badge ok">Verified</span>
            ) : (
              <>
                <span className="account-badge pending">Not verified</span> Follow the link in the email we sent you to confirm
                this address.
              </>
            )
          }
        />
        <button type="submit" className="primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save profile"}
        </button>
      </form>
    </section>
  );
}
