from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from litestar import Controller, Request, Response, post
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException, ValidationException
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts import schemas as s
from app.domain.accounts.authentication import start_new_session
from app.domain.accounts.deps import account_dependencies
from app.domain.accounts.jobs import RESET_PASSWORD, VERIFY_EMAIL
from app.domain.accounts.services import AccountTokenService, UserService, new_password_hash
from app.lib import auth_rate_limit, rate_limit
from app.lib.errors import ConflictError
from app.lib.jobs import enqueue_after_commit
from app.lib.settings import get_settings

logger = structlog.get_logger("app.auth")
FORGOT_PASSWORD_ANSWER = "If an account uses this email, a link to reset its password is on its way."  # noqa: S105 - a message, not a secret
INVALID_CREDENTIALS = "The email or password is wrong, or the account is deactivated."


def _login_failures_key(email: str) -> str:
    return f"login-failures:{email}"


def _invalid_token(field: str = "token") -> ValidationException:
    message = f"{field} is invalid, already used or expired"
    return ValidationException(detail=message, extra=[{"key": field, "message": message, "source": "body"}])


class AuthController(Controller):
    path = "/api/auth"
    tags = ["Authentication"]
    dependencies = account_dependencies

    @post("/signup", operation_id="SignUp", summary="Create an account and sign in", raises=[ConflictError])
    async def sign_up(
        self, request: Request[Any, Any, Any], users_service: UserService, data: s.SignUp
    ) -> Response[s.User]:
        user = await users_service.sign_up(email=data.email, password=data.password, name=data.name)
        start_new_session(request, user)
        enqueue_after_commit(request.scope, "send_verification_email", user_id=str(user.id))
        logger.info("signup", user_id=str(user.id))
        return Response(s.User.from_model(user), status_code=HTTP_201_CREATED, headers={"Location": "/api/me"})

    @post(
        "/login",
        operation_id="LogIn",
        summary="Sign in with email and password",
        status_code=HTTP_200_OK,
        opt={auth_rate_limit.COUNTED_BY_HANDLER: True},
    )
    async def log_in(self, request: Request[Any, Any, Any], users_service: UserService, data: s.Login) -> s.User:
        settings = get_settings().auth
        key = _login_failures_key(data.email)
        candidate, failures, client = await users_service.sign_in_candidate(
            data.email, key, auth_rate_limit.uncounted_key(request.scope), auth_rate_limit.WINDOW
        )
        auth_rate_limit.admit(request.scope, client)
        if failures is not None and failures.hits >= settings.login_failures_per_email:
            logger.warning("login refused", email=data.email, reason="too many failures", client=_client(request))
            raise TooManyRequestsException(
                detail="Too many failed sign-ins for this email; try again later.",
                headers={"Retry-After": str(failures.retry_after())},
            )
        user = await users_service.authenticate(candidate, data.password)
        if user is None:
            await rate_limit.hit(key, timedelta(seconds=settings.login_failure_window))
            logger.warning("login failed", email=data.email, client=_client(request))
            raise NotAuthorizedException(detail=INVALID_CREDENTIALS)
        start_new_session(request, user)
        logger.info("login succeeded", email=data.email, user_id=str(user.id), client=_client(request))
        return s.User.from_model(user)

    @post(
        "/logout",
        operation_id="LogOut",
        summary="End this browser session",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def log_out(self, request: Request[Any, Any, Any]) -> None:
        request.clear_session()

    @post(
        "/forgot-password",
        operation_id="ForgotPassword",
        summary="Mail a password reset link",
        status_code=HTTP_202_ACCEPTED,
    )
    async def forgot_password(
        self, request: Request[Any, Any, Any], users_service: UserService, data: s.ForgotPassword
    ) -> s.Accepted:
        user = await users_service.get_one_or_none(email=data.email)
        if user is not None and user.is_active:
            enqueue_after_commit(request.scope, "send_password_reset_email", user_id=str(user.id))
        return s.Accepted(message=FORGOT_PASSWORD_ANSWER)

    @post(
        "/reset-password",
        operation_id="ResetPassword",
        summary="Choose a new password with a mailed token; signs out everywhere",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def reset_password(self, db_session: AsyncSession, users_service: UserService, data: s.ResetPassword) -> None:
        user = await AccountTokenService.holder(data.token, RESET_PASSWORD)
        if user is None or not user.is_active:
            raise _invalid_token()
        hashed_password = await new_password_hash(data.password, user.email)
        # Consumed only now, in the transaction that stores the password: a refused password leaves it usable.
        if await AccountTokenService(db_session).consume(data.token, RESET_PASSWORD) != user.id:
            raise _invalid_token()
        await users_service.store_password_hash(user, hashed_password)
        await AccountTokenService(db_session).revoke_all(user.id, RESET_PASSWORD)
        await users_service.revoke_sessions(user.id)
        await users_service.revoke_api_tokens(user.id)

    @post(
        "/verify-email",
        operation_id="VerifyEmail",
        summary="Confirm an email address with a mailed token",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def verify_email(self, db_session: AsyncSession, users_service: UserService, data: s.VerifyEmail) -> None:
        user_id = await AccountTokenService(db_session).consume(data.token, VERIFY_EMAIL)
        if user_id is None:
            raise _invalid_token()
        user = await users_service.get(user_id)
        user.is_verified = True
        await users_service.update(user, auto_refresh=False)


def _client(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None
