from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from app.db import models as m
from app.db.models.limits import EMAIL_MAX, TOKEN_NAME_MAX
from app.lib import validation as v
from app.lib.schema import CamelizedBaseStruct, PatchStruct

MAX_TOKEN_DAYS = 3650


def clean_email(value: str) -> str:
    value = v.clean_text_without_nul(value, "email").strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or len(value) > EMAIL_MAX or any(ch.isspace() for ch in value):
        msg = "email must be a valid email address"
        raise ValueError(msg)
    return value


class User(CamelizedBaseStruct):
    id: UUID
    email: str
    name: str
    is_active: bool
    is_superuser: bool
    is_verified: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, user: m.User) -> User:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            is_active=user.is_active,
            is_superuser=user.is_superuser,
            is_verified=user.is_verified,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class SignUp(CamelizedBaseStruct):
    email: str
    password: str
    name: str

    def __post_init__(self) -> None:
        self.email = clean_email(self.email)
        self.name = v.clean_name(v.clean_text_without_nul(self.name, "name"), "name")


class Login(CamelizedBaseStruct):
    email: str
    password: str

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()


class ForgotPassword(CamelizedBaseStruct):
    email: str

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()


class ResetPassword(CamelizedBaseStruct):
    token: str
    password: str


class VerifyEmail(CamelizedBaseStruct):
    token: str


class Accepted(CamelizedBaseStruct):
    message: str


class ProfileUpdate(CamelizedBaseStruct):
    name: str

    def __post_init__(self) -> None:
        self.name = v.clean_name(v.clean_text_without_nul(self.name, "name"), "name")


class PasswordChange(CamelizedBaseStruct):
    current_password: str
    new_password: str


class SessionInfo(CamelizedBaseStruct):
    id: UUID
    created_at: datetime
    expires_at: datetime
    current: bool


class TokenCreate(CamelizedBaseStruct):
    name: str
    expires_in_days: int | None = None

    def __post_init__(self) -> None:
        self.name = v.clean_name(v.clean_text_without_nul(self.name, "name"), "name")
        if len(self.name) > TOKEN_NAME_MAX:
            msg = f"name must be at most {TOKEN_NAME_MAX} characters"
            raise ValueError(msg)
        if self.expires_in_days is not None and not 1 <= self.expires_in_days <= MAX_TOKEN_DAYS:
            msg = f"expiresInDays must be between 1 and {MAX_TOKEN_DAYS}"
            raise ValueError(msg)


class TokenInfo(CamelizedBaseStruct):
    id: UUID
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_model(cls, token: m.ApiToken) -> TokenInfo:
        return cls(
            id=token.id,
            name=token.name,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        )


class TokenCreated(CamelizedBaseStruct):
    id: UUID
    name: str
    token: str
    created_at: datetime
    expires_at: datetime | None


class UserAdminUpdate(PatchStruct):
    name: str | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    is_superuser: bool | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.name, str):
            self.name = v.clean_name(v.clean_text_without_nul(self.name, "name"), "name")
