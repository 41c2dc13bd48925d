"""Who is calling: a browser session (cookie) or an API token (`Authorization: Bearer`).

Sessions are Litestar server-side sessions stored by advanced-alchemy's session backend in the
`user_session` table. The middleware here never rejects a request for being anonymous: guards do
that. It only rejects a bearer token that is unknown, revoked or expired (401).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from advanced_alchemy.extensions.litestar.session import SQLAlchemyAsyncSessionBackend
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.types import Empty
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy import Executable, delete, select, update
from sqlalchemy.dialects.postgresql import insert

from app.db import models as m
from app.lib.asgi import SESSION_COOKIE, bearer_token
from app.lib.crypt import token_digest
from app.lib.database import get_alchemy_config
from app.lib.settings import get_settings

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, Message, Receive, Scope, ScopeSession, Send

_NEW_SESSION_ID = "folio_new_session_id"
_LOADED_SESSION = "folio_loaded_session"
_TOKEN_USE_RECORD_INTERVAL = timedelta(minutes=5)


class UserSessionBackend(SQLAlchemyAsyncSessionBackend):
    """advanced-alchemy's backend, plus the owning user on each row and a new session id at every login."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        new_id: str | None = connection.scope.get("state", {}).get(_NEW_SESSION_ID)
        return new_id or super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope.setdefault("state", {})[_LOADED_SESSION] = data
        return data

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        """Write the session row only when it changed, inside the request's transaction when it has one.

        Writing in the request's transaction keeps a login atomic: the new user and their session row
        commit together (or not at all) in the autocommit hook that runs after this.
        """
        headers = MutableScopeHeaders.from_message(message)
        session_id = self.get_session_id(connection)
        cookie = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        state = connection.scope.setdefault("state", {})
        # Max-Age wins over Expires in browsers: a cookie is deleted only when both say so.
        expired_cookie = Cookie(value="null", key=self.config.key, **{**cookie, "expires": 0, "max_age": 0})
        if scope_session is Empty:
            await self._write(connection, delete(m.UserSession).where(m.UserSession.session_id == session_id))
            headers.add("Set-Cookie", expired_cookie.to_header(header=""))
            return
        if not scope_session and not state.get(_NEW_SESSION_ID):
            # Nobody signed in: no row and no cookie, so anonymous and bearer clients are never handed
            # a session cookie (which would make their unsafe requests need a CSRF token). A cookie
            # naming a session that is gone (revoked, expired) is deleted.
            if connection.cookies.get(self.config.key, "null") != "null":
                headers.add("Set-Cookie", expired_cookie.to_header(header=""))
            return
        if scope_session != state.get(_LOADED_SESSION) or state.get(_NEW_SESSION_ID):
            await self._write(
                connection, self._upsert(session_id, self.serialize_data(scope_session, connection.scope))
            )
        previous_id = connection.cookies.get(self.config.key)
        if state.get(_NEW_SESSION_ID) and previous_id and previous_id != session_id:
            await self._write(connection, delete(m.UserSession).where(m.UserSession.session_id == previous_id))
        headers.add("Set-Cookie", Cookie(value=session_id, key=self.config.key, **cookie).to_header(header=""))

    def _upsert(self, session_id: str, data: bytes) -> Executable:
        user_id = msgspec.json.decode(data).get("user_id")
        expires_at = datetime.now(UTC) + timedelta(seconds=self.config.max_age)
        statement = insert(m.UserSession).values(
            session_id=session_id, data=data, expires_at=expires_at, user_id=UUID(user_id) if user_id else None
        )
        return statement.on_conflict_do_update(
            index_elements=[m.UserSession.session_id],
            set_={"data": statement.excluded.data, "expires_at": statement.excluded.expires_at},
        )

    async def _write(self, connection: ASGIConnection[Any, Any, Any, Any], statement: Executable) -> None:
        request_session = get_aa_scope_state(connection.scope, self.alchemy.session_scope_key)
        if request_session is not None:
            await request_session.execute(statement)
            return
        async with self.alchemy.get_session() as db_session:
            await db_session.execute(statement)
            await db_session.commit()


def start_new_session(connection: ASGIConnection[Any, Any, Any, Any], user: m.User) -> None:
    """Log `user` in on a fresh session id: whatever id the client sent (maybe planted) is not reused."""
    connection.scope.setdefault("state", {})[_NEW_SESSION_ID] = secrets.token_hex(32)
    connection.set_session({"user_id": str(user.id)})


def current_session_id(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return connection.cookies.get(SESSION_COOKIE)


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
        exclude=["^/health$", "^/schema"],
    )
    backend = UserSessionBackend(config=config, alchemy_config=get_alchemy_config(), model=m.UserSession)
    return DefineMiddleware(SessionMiddleware, backend=backend)


async def _user_for_token(token: str) -> m.User | None:
    now = datetime.now(UTC)
    statement = (
        select(m.User, m.ApiToken)
        .join(m.ApiToken, m.ApiToken.user_id == m.User.id)
        .where(m.ApiToken.token_hash == token_digest(token), m.User.is_active.is_(True))
        .where((m.ApiToken.expires_at.is_(None)) | (m.ApiToken.expires_at > now))
    )
    async with get_alchemy_config().get_session() as db_session:
        row = (await db_session.execute(statement)).one_or_none()
        if row is None:
            return None
        user, api_token = row
        if api_token.last_used_at is None or now - api_token.last_used_at > _TOKEN_USE_RECORD_INTERVAL:
            await db_session.execute(update(m.ApiToken).where(m.ApiToken.id == api_token.id).values(last_used_at=now))
            await db_session.commit()
        return user


async def _user_for_session(session: dict[str, Any]) -> m.User | None:
    user_id = session.get("user_id")
    if not user_id:
        return None
    async with get_alchemy_config().get_session() as db_session:
        user = await db_session.get(m.User, UUID(user_id))
    return user if user is not None and user.is_active else None


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    """Sets `scope["user"]` (a `User`, or None when anonymous) for every HTTP request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            user: m.User | None = None
            token = bearer_token(scope)
            if token is not None:
                found = await _user_for_token(token)
                if found is None:
                    raise NotAuthorizedException(
                        detail="The API token is unknown, revoked or expired.",
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    )
                user = found
            elif isinstance(session := scope.get("session"), dict):
                user = await _user_for_session(session)
            scope["user"] = user
        await app(scope, receive, send)

    return middleware
