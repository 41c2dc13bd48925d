"""Who is calling: a browser session (cookie) or an API token (`Authorization: Bearer`).

Sessions are Litestar server-side sessions stored by advanced-alchemy's session backend in the
`user_session` table. The middleware here never rejects a request for being anonymous: guards do
that. It only rejects a bearer token that is unknown, revoked or expired (401).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import msgspec
from advanced_alchemy.extensions.litestar.session import SESSION_ID_MAX_LENGTH, SQLAlchemyAsyncSessionBackend
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.types import Empty
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy import bindparam, delete, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert

from app.db import models as m
from app.domain.accounts.user_rows import USERS, detached_user
from app.lib.asgi import AUTH_PATH_PREFIX, SESSION_COOKIE, bearer_token, has_cookie
from app.lib.crypt import token_digest
from app.lib.database import (
    end_lookups,
    get_alchemy_config,
    lookup_db_session,
    request_db_session,
    request_in_transaction,
)
from app.lib.driver import DriverQuery, driver_query, execute, fetch_row, in_transaction, pooled_connection
from app.lib.precompiled import bound_values, full_row, insert_columns
from app.lib.settings import get_settings

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, ScopeSession, Send
    from sqlalchemy import Table, Update
    from sqlalchemy.dialects.postgresql import Insert
    from sqlalchemy.ext.asyncio import AsyncSession

_NEW_SESSION_ID = "folio_new_session_id"
_LOADED_SESSION = "folio_loaded_session"
_SESSION_USER = "folio_session_user"
_RECORD_INTERVAL = timedelta(minutes=5)
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]+")
"""What a session id we issued looks like; any other cookie value names no session (and is not looked up)."""


class UserSessionBackend(SQLAlchemyAsyncSessionBackend):
    """advanced-alchemy's backend, read and written in the request's own transaction.

    Loading a session also loads its user (for `authentication_middleware`) in the same query, and
    renews the expiry at most once per `_renew_interval`, not with a write on every request.
    A new session id is made at every login.
    """

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        new_id: str | None = connection.scope.get("state", {}).get(_NEW_SESSION_ID)
        return new_id or super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        state = connection.scope.setdefault("state", {})
        session_id = connection.cookies.get(self.config.key)
        data: dict[str, Any] = {}
        if session_id and session_id != "null" and _SESSION_ID.fullmatch(session_id):
            data = await self._load(connection.scope, session_id[:SESSION_ID_MAX_LENGTH])
        state[_LOADED_SESSION] = data
        return data

    async def _load(self, scope: Scope, session_id: str) -> dict[str, Any]:
        """The live session's data (its user kept for authentication); {} when it is unknown or expired.

        An expired row is left for the hourly clean-up job; `store_in_message` expires the cookie.
        """
        db_session = lookup_db_session(scope)
        row = (await db_session.execute(_SESSION_WITH_USER, {"session_id": session_id})).one_or_none()
        now = datetime.now(UTC)
        if row is None or row.expires_at <= now:
            return {}
        max_age = timedelta(seconds=self.config.max_age)
        renew_interval = _renew_interval(max_age)
        if row.expires_at - max_age < now - renew_interval:
            stale = (m.UserSession.id == row.id) & (m.UserSession.expires_at < now + max_age - renew_interval)
            await _update_unless_locked(db_session, m.UserSession, stale, expires_at=now + max_age)
        scope.setdefault("state", {})[_SESSION_USER] = row.User
        return self.deserialize_data(row.data)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        """Write the session row only when it changed, inside the request's transaction when it has one.

        Writing in the request's transaction keeps a sign-up atomic: the new user and their session row
        commit together (or not at all) in the autocommit hook that runs after this. A successful
        request that has no transaction (a sign-in, a sign-out) writes with single autocommit
        statements instead, which saves the BEGIN and COMMIT round trips; a sign-in's new row is then
        committed without waiting for its WAL flush (`_UPSERT_SESSION_UNFLUSHED`).
        """
        headers = MutableScopeHeaders.from_message(message)
        status = cast("HTTPResponseStartEvent", message)["status"]
        state = connection.scope.setdefault("state", {})
        if scope_session is not Empty and not scope_session and not state.get(_NEW_SESSION_ID):
            # Nobody signed in: no row and no cookie, so anonymous and bearer clients are never handed
            # a session cookie (which would make their unsafe requests need a CSRF token). A cookie
            # naming a session that is gone (revoked, expired) is deleted.
            if connection.cookies.get(self.config.key, "null") != "null":
                headers.add("Set-Cookie", self._expired_cookie)
            return
        session_id = self.get_session_id(connection)
        if scope_session is Empty:
            await self._write(connection.scope, status, [(_DELETE_SESSION, {"session_id": session_id})])
            headers.add("Set-Cookie", self._expired_cookie)
            return
        writes: list[tuple[DriverQuery, dict[str, Any]]] = []
        if scope_session != state.get(_LOADED_SESSION) or state.get(_NEW_SESSION_ID):
            data = self.serialize_data(scope_session, connection.scope)
            writes.append((_UPSERT_SESSION, self._session_row(session_id, data)))
        previous_id = connection.cookies.get(self.config.key)
        if state.get(_NEW_SESSION_ID) and previous_id and previous_id != session_id:
            writes.append((_DELETE_SESSION, {"session_id": previous_id}))
        await self._write(connection.scope, status, writes)
        before, after = self._cookie_template
        headers.add("Set-Cookie", before + session_id + after)

    @staticmethod
    async def _write(scope: Scope, status: int, writes: list[tuple[DriverQuery, dict[str, Any]]]) -> None:
        if not 200 <= status < 300 or not writes:
            return  # a failed request is rolled back whole (`database._commit_or_roll_back`): nothing to keep
        if request_in_transaction(scope):
            connection = await in_transaction(request_db_session(scope))
            for query, values in writes:
                await execute(connection, query, values)
            return
        async with pooled_connection() as connection:
            for query, values in writes:
                await execute(connection, _UPSERT_SESSION_UNFLUSHED if query is _UPSERT_SESSION else query, values)

    @cached_property
    def _cookie_attributes(self) -> dict[str, Any]:
        return dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))

    @cached_property
    def _cookie_template(self) -> tuple[str, str]:
        """The session cookie's header split around its value (Litestar's `Cookie` costs ~70 µs a header)."""
        placeholder = "session-id-placeholder"
        header = Cookie(value=placeholder, key=self.config.key, **self._cookie_attributes).to_header(header="")
        before, _, after = header.partition(placeholder)
        return before, after

    @cached_property
    def _expired_cookie(self) -> str:
        # Max-Age wins over Expires in browsers: a cookie is deleted only when both say so.
        attributes = {**self._cookie_attributes, "expires": 0, "max_age": 0}
        return Cookie(value="null", key=self.config.key, **attributes).to_header(header="")

    def _session_row(self, session_id: str, data: bytes) -> dict[str, Any]:
        user_id = msgspec.json.decode(data).get("user_id")
        values = {
            "session_id": session_id,
            "data": data,
            "expires_at": datetime.now(UTC) + timedelta(seconds=self.config.max_age),
            "user_id": UUID(user_id) if user_id else None,
        }
        return full_row(_SESSIONS, values)


_SESSIONS = cast("Table", m.UserSession.__table__)


def _upsert_session(insert_session: Insert) -> DriverQuery:
    return driver_query(
        insert_session.on_conflict_do_update(
            index_elements=[m.UserSession.session_id],
            set_={"data": insert_session.excluded.data, "expires_at": insert_session.excluded.expires_at},
        )
    )


_SESSION_COLUMNS = insert_columns(_SESSIONS)
_UPSERT_SESSION = _upsert_session(insert(_SESSIONS).values(bound_values(_SESSION_COLUMNS)))
"""A new session's row, or new data and expiry for a known one."""
_UPSERT_SESSION_UNFLUSHED = _upsert_session(
    insert(_SESSIONS).from_select(
        _SESSION_COLUMNS,
        select(*[bindparam(name, type_=_SESSIONS.c[name].type) for name in _SESSION_COLUMNS]).select_from(
            select(literal_column("set_config('synchronous_commit', 'off', true)")).subquery("unflushed")
        ),
    )
)
"""`_UPSERT_SESSION` as a statement committed on its own that does not wait for its WAL to reach the disk.

`set_config(…, is_local => true)` holds for the statement's own transaction, so nothing else is
affected. Saves the flush (~0.5 ms of a sign-in on the benchmark machine); should PostgreSQL crash
in the fraction of a second before the WAL writer flushes it, the row is lost and its cookie names
no session: that user signs in again. Never used inside a request's transaction (a sign-up), whose
user row must be as durable as any other.
"""
_DELETE_SESSION = driver_query(
    delete(_SESSIONS).where(_SESSIONS.c.session_id == bindparam("session_id", type_=_SESSIONS.c.session_id.type))
)


def start_new_session(connection: ASGIConnection[Any, Any, Any, Any], user: m.User) -> None:
    """Log `user` in on a fresh session id: whatever id the client sent (maybe planted) is not reused."""
    connection.scope.setdefault("state", {})[_NEW_SESSION_ID] = secrets.token_hex(32)
    connection.set_session({"user_id": str(user.id)})


def current_session_id(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return connection.cookies.get(SESSION_COOKIE)


class CookieSessionMiddleware(SessionMiddleware[UserSessionBackend]):
    """Litestar's session middleware, skipped by requests that can neither have nor start a session.

    Only a request carrying the session cookie has a session to load, and only `/api/auth/*` starts
    one (sign-up, sign-in); every other request (anonymous, or by API token) passes straight through,
    with no session in its scope, which authentication reads as "not signed in by cookie".
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == ScopeType.HTTP
            and not scope["path"].startswith(AUTH_PATH_PREFIX)
            and not has_cookie(scope, SESSION_COOKIE)
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def session_middleware() -> DefineMiddleware:
    """Litestar's session middleware on the database-backed backend: `HttpOnly`, `SameSite=Lax`,
    `Secure` in production, expiring after `SESSION_MAX_AGE` seconds without use."""
    settings = get_settings()
    config = ServerSideSessionConfig(
        key=SESSION_COOKIE,
        max_age=settings.auth.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.app.is_production,
        renew_on_access=True,
        exclude=["^/health(/live)?$", "^/schema"],
    )
    backend = UserSessionBackend(config=config, alchemy_config=get_alchemy_config(), model=m.UserSession)
    return DefineMiddleware(CookieSessionMiddleware, backend=backend)


def _renew_interval(lifetime: timedelta) -> timedelta:
    """How stale a recorded time (a session's expiry, a token's last use) may get before it is written again."""
    return min(_RECORD_INTERVAL, lifetime / 10)


def _unless_locked(table: Table, where: Any) -> Update:
    """`UPDATE table WHERE where`, skipping a row another request is updating right now.

    Requests sharing a credential thus never queue behind each other's row lock to record the same use.
    """
    locked = select(table.c.id).where(where).with_for_update(skip_locked=True)
    return update(table).where(table.c.id.in_(locked.scalar_subquery()))


async def _update_unless_locked(db_session: AsyncSession, model: type[Any], where: Any, **values: Any) -> None:
    statement = _unless_locked(cast("Table", model.__table__), where).values(**values)
    await db_session.execute(statement.execution_options(synchronize_session=False))


_TOKENS = cast("Table", m.ApiToken.__table__)
_USER_BY_TOKEN = driver_query(
    select(*USERS.columns, _TOKENS.c.id.label("token_id"), _TOKENS.c.last_used_at.label("token_last_used_at"))
    .join(_TOKENS, _TOKENS.c.user_id == USERS.c.id)
    .where(_TOKENS.c.token_hash == bindparam("digest", type_=_TOKENS.c.token_hash.type), USERS.c.is_active.is_(True))
    .where(_TOKENS.c.expires_at.is_(None) | (_TOKENS.c.expires_at > bindparam("now", type_=_TOKENS.c.expires_at.type)))
)
"""The active user of a live API token, with the token's id and when it was last used (on the driver)."""
_token_recorded_long_ago = (_TOKENS.c.id == bindparam("token_id", type_=_TOKENS.c.id.type)) & (
    _TOKENS.c.last_used_at.is_(None) | (_TOKENS.c.last_used_at < bindparam("recorded_before"))
)
_RECORD_TOKEN_USE = driver_query(
    _unless_locked(_TOKENS, _token_recorded_long_ago).values(
        last_used_at=bindparam("now", type_=_TOKENS.c.last_used_at.type)
    )
)
"""`last_used_at`, unless recorded lately or being recorded by another request right now (its row lock skipped)."""
_SESSION_WITH_USER = (
    select(m.UserSession.id, m.UserSession.data, m.UserSession.expires_at, m.User)
    .outerjoin(m.User, m.User.id == m.UserSession.user_id)
    .where(m.UserSession.session_id == bindparam("session_id"))
)


async def _user_for_token(token: str) -> m.User | None:
    """The active user of a live API token; its `last_used_at` is recorded at most every few minutes.

    Read on the driver, on a pooled connection given back at once (the use is recorded in autocommit,
    so it holds even if the request fails); the user is a detached `User` made from the row.
    """
    now = datetime.now(UTC)
    async with pooled_connection() as connection:
        row = await fetch_row(connection, _USER_BY_TOKEN, {"digest": token_digest(token), "now": now})
        if row is None:
            return None
        last_used_at = row["token_last_used_at"]
        if last_used_at is None or now - last_used_at > _RECORD_INTERVAL:
            # `updated_at` moves with it, as the column's onupdate has it for every change of the row.
            values = {
                "token_id": row["token_id"],
                "now": now,
                "updated_at": now,
                "recorded_before": now - _RECORD_INTERVAL,
            }
            await execute(connection, _RECORD_TOKEN_USE, values)
    return detached_user(row)


async def _user_for_session(scope: Scope, session: dict[str, Any]) -> m.User | None:
    """The active user a browser session names (already loaded with the session row, as a rule)."""
    user_id = session.get("user_id")
    if not user_id:
        return None
    user: m.User | None = scope.get("state", {}).get(_SESSION_USER)
    if user is None or str(user.id) != user_id:
        user = await lookup_db_session(scope).get(m.User, UUID(user_id))
    return user if user is not None and user.is_active else None


async def _caller(scope: Scope) -> m.User | None:
    """The user of the request's API token or browser session; None when anonymous."""
    token = bearer_token(scope)
    if token is not None:
        user = await _user_for_token(token)
        if user is None:
            raise NotAuthorizedException(
                detail="The API token is unknown, revoked or expired.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return user
    if isinstance(session := scope.get("session"), dict):
        return await _user_for_session(scope, session)
    return None


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    """Sets `scope["user"]` (a `User`, or None when anonymous) for every HTTP request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            try:
                scope["user"] = await _caller(scope)
            finally:
                await end_lookups(scope)
        await app(scope, receive, send)

    return middleware
