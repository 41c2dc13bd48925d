"""Route guards: who may call a route at all. Ownership of a record is a data rule, checked in services."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.db import models as m


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> m.User | None:
    user = connection.scope.get("user")
    return user if isinstance(user, m.User) else None


def requires_active_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException(detail="Sign in, or send an API token, to do this.")
    if not user.is_active:
        raise PermissionDeniedException(detail="This account is deactivated.")


def requires_superuser(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    requires_active_user(connection, handler)
    if not current_user(connection).is_superuser:  # type: ignore[union-attr]
        raise PermissionDeniedException(detail="Only administrators may do this.")


def ensure_owner_or_superuser(record: Any, user: m.User) -> None:
    """Only the user who created a record, or a superuser, may change or delete it."""
    if user.is_superuser or (record.created_by is not None and record.created_by == user.id):
        return
    raise PermissionDeniedException(detail="Only the user who created this, or an administrator, may change it.")
