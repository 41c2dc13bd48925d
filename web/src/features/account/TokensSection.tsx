import { type FormEvent, useRef, useState } from "react";
import type { Schemas } from "../../api/client";
import { ConfirmButton } from "../../components/ConfirmButton";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { Empty, QueryState } from "../../components/QueryState";
import { fieldMessage } from "../auth/api";
import { formatDate, useCreateToken, useRevokeToken, useTokens } from "./api";

export function TokensSection() {
  const tokens = useTokens();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const listHeading = useRef<HTMLHeadingElement>(null);

  function revokeToken(id: string) {
    revoke.mutate(id, {
      onSuccess: () => {
        if (create.data?.id === id) create.reset();
        // The button that had focus is gone: continue from the list.
        listHeading.current?.focus();
      },
    });
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate(
      { name, expiresInDays: days.trim() ? Number(days) : null },
      {
        onSuccess: () => {
          setName("");
          setDays("");
        },
      },
    );
  }

  return (
    <section className="account-section" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p className="meta">
        Scripts and other services use a token in the header <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      {create.data ? <NewToken token={create.data} onDone={() => create.reset()} /> : null}
      <form onSubmit={submit}>
        <FormError error={create.error} shownFields={["name", "expiresInDays"]} />
        <Field
          label="Token name"
          name="name"
          required
          maxLength={100}
          hint="What the token is for, e.g. “backup script”."
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldMessage(create.error, "name", "Token name")}
        />
        <Field
          label="Expires after (days, optional)"
          name="expiresInDays"
          type="number"
          inputMode="numeric"
          min={1}
          max={3650}
          step={1}
          hint="1–3650 days. Leave empty for a token that does not expire."
          value={days}
          onChange={(event) => setDays(event.target.value)}
          error={fieldMessage(create.error, "expiresInDays", "Expiry")}
        />
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </form>

      <h3 ref={listHeading} tabIndex={-1}>Your tokens</h3>
      <FormError error={revoke.error} />
      <QueryState query={tokens}>
        {(list) =>
          list.length === 0 ? (
            <Empty>You have no API tokens.</Empty>
          ) : (
            <ul className="account-list">
              {list.map((token) => (
                <li key={token.id}>
                  <div>
                    <p className="account-item-title">{token.name}</p>
                    <p className="meta">
                      Created <time dateTime={token.createdAt}>{formatDate(token.createdAt)}</time> ·{" "}
                      {token.expiresAt ? (
                        <>
                          expires <time dateTime={token.expiresAt}>{formatDate(token.expiresAt)}</time>
                        </>
                      ) : (
                        "never expires"
                      )}
                      {token.lastUsedAt ? (
                        <>
                          {" "}· last used <time dateTime={token.lastUsedAt}>{formatDate(token.lastUsedAt)}</time>
                        </>
                      ) : null}
                    </p>
                  </div>
                  <ConfirmButton
                    question={`Revoke the token “${token.name}”? Anything using it stops working at once.`}
                    confirmLabel="Revoke"
                    onConfirm={() => revokeToken(token.id)}
                    disabled={revoke.isPending}
                  >
                    Revoke<span className="visually-hidden"> token {token.name}</span>
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

/** The new token's value, which the API returns this once only. */
function NewToken({ token, onDone }: { token: Schemas["TokenCreated"]; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);

  async function copy() {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(token.token);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  }

  return (
    <div className="notice new-token" role="status">
      <p>
        Token “{token.name}” created. Copy it now: <strong>it will not be shown again</strong>.
      </p>
      <div className="copy-row">
        <Field label="New token" autoFocus readOnly value={token.token} onFocus={(event) => event.currentTarget.select()} />
        <button type="button" onClick={copy}>Copy</button>
      </div>
      {copied === "yes" ? <p>Copied to the clipboard.</p> : null}
      {copied === "no" ? <p>Copying is not available here; select the token and copy it yourself.</p> : null}
      <button type="button" className="link" onClick={onDone}>I have saved it, hide it</button>
    </div>
  );
}
