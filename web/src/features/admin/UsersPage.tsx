import { type FormEvent, useEffect, useRef, useState } from "react";
import { errorMessage } from "../../api/client";
import type { User } from "../../auth/session";
import { ConfirmButton } from "../../components/ConfirmButton";
import { Field } from "../../components/Field";
import { Pagination } from "../../components/Pagination";
import { Empty, QueryState } from "../../components/QueryState";
import { RequireAuth } from "../../components/RequireAuth";
import { usePageTitle } from "../../components/usePageTitle";
import { useQueryParams } from "../../components/useQueryParams";
import { type AdminUpdate, useDeleteUser, useUpdateUser, useUsers } from "./api";
import "./users.css";

const joined = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function UsersPage() {
  usePageTitle("Users");
  return (
    <>
      <h1>Users</h1>
      <RequireAuth admin>{(me) => <Users me={me} />}</RequireAuth>
    </>
  );
}

function Users({ me }: { me: User }) {
  const { params, update, page } = useQueryParams();
  const search = params.get("q") ?? "";
  const users = useUsers(search, page);
  const [notice, setNotice] = useState<string | null>(null);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = new FormData(event.currentTarget).get("q");
    update({ q: typeof value === "string" ? value.trim() : "" });
  }

  return (
    <>
      <p className="meta users-intro">
        Deactivating someone signs them out everywhere and revokes their API tokens; they cannot sign in until they
        are reactivated (revoked tokens stay revoked). Administrators can manage users and change or delete any record.
      </p>
      <form role="search" className="toolbar users-search" onSubmit={submit}>
        <Field key={search} label="Search by name or email" type="search" name="q" defaultValue={search} />
        <div className="actions">
          <button type="submit">Search</button>
          {search ? <button type="button" onClick={() => update({ q: null })}>Clear</button> : null}
        </div>
      </form>
      <div role="status">{notice ? <p className="notice">{notice}</p> : null}</div>
      <QueryState query={users}>
        {(data) => {
          const items = data.items ?? [];
          if (items.length === 0) {
            return <Empty>{search ? `No users match “${search}”.` : "There are no users yet."}</Empty>;
          }
          return (
            <>
              <div className="table-wrap" role="region" aria-label="Users" tabIndex={0}>
                <table className="users-table">
                  <caption className="visually-hidden">
                    {search ? `Users matching “${search}”` : "All users"}, {data.total ?? items.length} in all
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Email</th>
                      <th scope="col">Verified</th>
                      <th scope="col">Active</th>
                      <th scope="col">Admin</th>
                      <th scope="col">Joined</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((user) => (
                      <UserRow key={user.id} user={user} me={me} onDone={setNotice} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination
                total={data.total ?? 0}
                limit={data.limit ?? items.length}
                offset={data.offset ?? 0}
                onPage={(next) => update({ page: next }, false)}
              />
            </>
          );
        }}
      </QueryState>
    </>
  );
}

function UserRow({ user, me, onDone }: { user: User; me: User; onDone: (message: string | null) => void }) {
  const change = useUpdateUser(user.id);
  const remove = useDeleteUser(user.id);
  const actions = useRef<HTMLDivElement>(null);
  const self = user.id === me.id;
  const who = user.name || user.email;

  // The action's button is replaced by its opposite once the list is refetched; put focus on the new one.
  const refocus = useRef<number | null>(null);
  useEffect(() => {
    if (refocus.current === null) return;
    actions.current?.querySelectorAll<HTMLButtonElement>(":scope > button")[refocus.current]?.focus();
    refocus.current = null;
  }, [user.isActive, user.isSuperuser]);

  function run(changes: AdminUpdate, message: string, index: number) {
    onDone(null);
    refocus.current = index;
    change.mutate(changes, {
      onSuccess: () => onDone(message),
      onError: () => {
        refocus.current = null;
      },
    });
  }

  const hidden = <span className="visually-hidden"> {who}</span>;
  return (
    <tr>
      <td data-label="Name">
        {user.name}
        {self ? <span className="meta"> (you)</span> : null}
      </td>
      <td className="email" data-label="Email">{user.email}</td>
      <td data-label="Verified">{user.isVerified ? "Yes" : "No"}</td>
      <td data-label="Active">{user.isActive ? "Yes" : <strong className="off">Deactivated</strong>}</td>
      <td data-label="Admin">{user.isSuperuser ? "Yes" : "No"}</td>
      <td data-label="Joined"><time dateTime={user.createdAt}>{joined.format(new Date(user.createdAt))}</time></td>
      <td className="row-actions">
        {self ? (
          <div className="actions">
            <button type="button" disabled title="You cannot deactivate yourself">Deactivate</button>
            <button type="button" disabled title="You cannot remove your own admin rights">Remove admin</button>
            <span className="meta">Not on your own account</span>
          </div>
        ) : (
          <div className="actions" ref={actions}>
            {user.isActive ? (
              <ConfirmButton
                question={`Deactivate ${who} (${user.email})? They are signed out everywhere, their API tokens are revoked, and they cannot sign in until reactivated.`}
                confirmLabel="Deactivate"
                disabled={change.isPending}
                onConfirm={() => run({ isActive: false }, `${who} was deactivated and signed out everywhere.`, 0)}
              >
                Deactivate{hidden}
              </ConfirmButton>
            ) : (
              <button
                type="button"
                disabled={change.isPending}
                onClick={() => run({ isActive: true }, `${who} was reactivated and can sign in again.`, 0)}
              >
                Reactivate{hidden}
              </button>
            )}
            {user.isSuperuser ? (
              <ConfirmButton
                question={`Remove administrator rights from ${who} (${user.email})?`}
                confirmLabel="Remove admin"
                disabled={change.isPending}
                onConfirm={() => run({ isSuperuser: false }, `${who} is no longer an administrator.`, 1)}
              >
                Remove admin{hidden}
              </ConfirmButton>
            ) : (
              <ConfirmButton
                className=""
                question={`Make ${who} (${user.email}) an administrator? They will be able to manage users and change or delete any record.`}
                confirmLabel="Make admin"
                disabled={change.isPending}
                onConfirm={() => run({ isSuperuser: true }, `${who} is now an administrator.`, 1)}
              >
                Make admin{hidden}
              </ConfirmButton>
            )}
            <ConfirmButton
              question={`Delete the account of ${who} (${user.email})? This cannot be undone; the books and authors they created stay in the catalogue.`}
              confirmLabel="Delete account"
              disabled={remove.isPending}
              onConfirm={() => {
                onDone(null);
                remove.mutate(undefined, { onSuccess: () => onDone(`The account of ${who} was deleted.`) });
              }}
            >
              Delete{hidden}
            </ConfirmButton>
          </div>
        )}
        {change.error ? <p className="field-error" role="alert">{errorMessage(change.error)}</p> : null}
        {remove.error ? <p className="field-error" role="alert">{errorMessage(remove.error)}</p> : null}
      </td>
    </tr>
  );
}
