import { useRef } from "react";
import { ConfirmButton } from "../../components/ConfirmButton";
import { FormError } from "../../components/FormError";
import { Empty, QueryState } from "../../components/QueryState";
import { formatDate, useRevokeSession, useSessions } from "./api";

export function SessionsSection() {
  const sessions = useSessions();
  const revoke = useRevokeSession();
  const heading = useRef<HTMLHeadingElement>(null);

  return (
    <section className="account-section" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading" ref={heading} tabIndex={-1}>Sessions</h2>
      <p className="meta">The browsers where you are signed in. Revoke a session you do not recognise.</p>
      <FormError error={revoke.error} />
      <QueryState query={sessions}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No active sessions.</Empty>
          ) : (
            <ul className="account-list">
              {list.map((session) => (
                <li key={session.id}>
                  <div>
                    <p className="account-item-title">
                      {session.current ? "This device" : "Another browser"}
                    </p>
                    <p className="meta">
                      Signed in <time dateTime={session.createdAt}>{formatDate(session.createdAt)}</time> · expires{" "}
                      <time dateTime={session.expiresAt}>{formatDate(session.expiresAt)}</time>
                    </p>
                  </div>
                  <ConfirmButton
                    question={
                      session.current
                        ? "Revoke the session of this device? You will be signed out."
                        : `Revoke the session signed in ${formatDate(session.createdAt)}? That browser will be signed out.`
                    }
                    confirmLabel={session.current ? "Sign out" : "Revoke"}
                    onConfirm={() => revoke.mutate(session, { onSuccess: () => heading.current?.focus() })}
                    disabled={revoke.isPending}
                  >
                    {session.current ? "Sign out" : "Revoke"}
                    <span className="visually-hidden">
                      {session.current ? " this device" : ` session signed in ${formatDate(session.createdAt)}`}
                    </span>
                  </ConfirmButton>
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}
