from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from app.db import models as m
from app.domain.accounts import schemas as s
from app.domain.accounts.authentication import current_session_id
from app.domain.accounts.deps import account_dependencies
from app.domain.accounts.guards import requires_active_user
from app.domain.accounts.services import ApiTokenService, SessionService, UserService


class MeController(Controller):
    path = "/api/me"
    tags = ["My account"]
    guards = [requires_active_user]
    dependencies = account_dependencies

    @get("/", operation_id="GetMe", summary="The signed-in user")
    async def get_me(self, request: Request[m.User, Any, Any]) -> s.User:
        return s.User.from_model(request.user)

    @patch("/", operation_id="UpdateMe", summary="Change my name")
    async def update_me(
        self, request: Request[m.User, Any, Any], users_service: UserService, data: s.ProfileUpdate
    ) -> s.User:
        user = await users_service.update({"name": data.name}, item_id=request.user.id, auto_refresh=False)
        return s.User.from_model(user)

    @post(
        "/password",
        operation_id="ChangeMyPassword",
        summary="Change my password; my other sessions are signed out",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def change_password(
        self, request: Request[m.User, Any, Any], users_service: UserService, data: s.PasswordChange
    ) -> None:
        await users_service.change_password(request.user, data.current_password, data.new_password)
        await users_service.revoke_sessions(request.user.id, keep_session_id=current_session_id(request))

    @get("/sessions", operation_id="ListMySessions", summary="My active browser sessions")
    async def list_sessions(
        self, request: Request[m.User, Any, Any], sessions_service: SessionService
    ) -> list[s.SessionInfo]:
        current = current_session_id(request)
        return [
            s.SessionInfo(
                id=row.id, created_at=row.created_at, expires_at=row.expires_at, current=row.session_id == current
            )
            for row in await sessions_service.list_for(request.user.id)
        ]

    @delete(
        "/sessions/{session_id:str}",
        operation_id="RevokeMySession",
        summary="Sign a session out",
    )
    async def revoke_session(
        self, request: Request[m.User, Any, Any], sessions_service: SessionService, session_id: UUID
    ) -> None:
        await sessions_service.revoke(request.user.id, session_id)

    @post("/tokens", operation_id="CreateMyToken", summary="Create an API token (shown this once)")
    async def create_token(
        self, request: Request[m.User, Any, Any], api_tokens_service: ApiTokenService, data: s.TokenCreate
    ) -> Response[s.TokenCreated]:
        row, token = await api_tokens_service.create_token(request.user.id, data.name, data.expires_in_days)
        body = s.TokenCreated(
            id=row.id, name=row.name, token=token, created_at=row.created_at, expires_at=row.expires_at
        )
        return Response(body, status_code=HTTP_201_CREATED, headers={"Location": "/api/me/tokens"})

    @get("/tokens", operation_id="ListMyTokens", summary="My API tokens (without their values)")
    async def list_tokens(
        self, request: Request[m.User, Any, Any], api_tokens_service: ApiTokenService
    ) -> list[s.TokenInfo]:
        return [s.TokenInfo.from_model(row) for row in await api_tokens_service.list_for(request.user.id)]

    @delete("/tokens/{token_id:str}", operation_id="RevokeMyToken", summary="Revoke an API token")
    async def revoke_token(
        self, request: Request[m.User, Any, Any], api_tokens_service: ApiTokenService, token_id: UUID
    ) -> None:
        await api_tokens_service.revoke(request.user.id, token_id)
