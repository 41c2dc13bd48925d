"""One exception handler that turns every error into an RFC 9457 problem-details response."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
from advanced_alchemy.exceptions import (
    AdvancedAlchemyError,
    DuplicateKeyError,
    ForeignKeyError,
    IntegrityError,
    NotFoundError,
    RepositoryError,
)
from advanced_alchemy.utils.text import camelize
from litestar import Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy import exc as sa_exc

if TYPE_CHECKING:
    from litestar import Request

PROBLEM_JSON = "application/problem+json"
logger = structlog.get_logger("app.errors")


class ConflictError(HTTPException):
    """The request clashes with existing data (a duplicate, or a row still referenced): 409."""

    status_code = 409


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def violated_constraint(exc: BaseException) -> str | None:
    """The name of the database constraint behind an integrity error, if the driver reported one."""
    for item in _exception_chain(exc):
        name = getattr(item, "constraint_name", None)
        if isinstance(name, str) and name:
            return name
    return None


def _is_connection_failure(exc: BaseException) -> bool:
    """True when the error means the database is unreachable rather than the data being wrong."""
    import asyncpg

    for item in _exception_chain(exc):
        if isinstance(item, sa_exc.DBAPIError) and item.connection_invalidated:
            return True
        if isinstance(item, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
            return True
        if isinstance(
            item,
            (
                asyncpg.PostgresConnectionError,
                asyncpg.exceptions.InterfaceError,
                asyncpg.exceptions.CannotConnectNowError,
                asyncpg.exceptions.AdminShutdownError,
                asyncpg.exceptions.CrashShutdownError,
                asyncpg.exceptions.InsufficientResourcesError,  # e.g. too many connections already
                # A pooled connection the server dropped while it sat idle (a restart), met mid-protocol:
                # "cannot switch to state 12; another operation (2) is in progress".
                asyncpg.exceptions.InternalClientError,
            ),
        ):
            return True
        if isinstance(item, OSError) and _raised_by_database_driver(item):
            return True
    return False


def _raised_by_database_driver(exc: BaseException) -> bool:
    """An OS-level error (refused connection, missing socket) raised while connecting to PostgreSQL."""
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith(("asyncpg", "sqlalchemy")):
            return True
        tb = tb.tb_next
    return False


def _is_data_error(exc: BaseException) -> bool:
    """A value PostgreSQL refused (SQLSTATE class 22, e.g. a NUL character); asyncpg's are not mapped by SQLAlchemy."""
    import asyncpg

    return any(isinstance(item, (sa_exc.DataError, asyncpg.exceptions.DataError)) for item in _exception_chain(exc))


def _problem(status: int, detail: str, *, title: str | None = None, **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {}
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        headers["Retry-After"] = "1"
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_LEADING_FIELD = re.compile(r"^([a-z][A-Za-z0-9]*) ")
_UNSUPPORTED_TYPE = re.compile(r"^Unsupported type: <class '(\w+)'>$")
_PARSER_LIMIT = "Request Entity Too Large"
"""Litestar's 400 detail when a multipart body has too many parts or an over-long part header."""
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def _field_name(key: object, message: str) -> str:
    """The wire (camelCase) name of the offending field.

    Errors raised by a schema's `__post_init__` reach us keyed as the whole body (`data`); their
    messages start with the field's wire name, which is taken instead.
    """
    if not key or key == "data":
        match = _MISSING_FIELD.search(message) or _LEADING_FIELD.match(message)
        return match.group(1) if match else "body"
    return camelize(str(key))


def _readable_message(message: str) -> str:
    """msgspec's "Unsupported type: <class 'str'>" (a text value or several parts where one uploaded
    file was expected, the only field of a type msgspec cannot build itself) in plain words."""
    found = _UNSUPPORTED_TYPE.match(message)
    if found is None:
        return message
    got = "several values" if found[1] == "list" else "a text value"
    return f"must be one uploaded file (a multipart part with a filename), not {got}"


def _validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    for item in extra:
        if isinstance(item, dict):
            message = _readable_message(str(item.get("message", "invalid value")))
            errors.append(
                {
                    "field": _field_name(item.get("key"), message),
                    "message": message,
                    "source": item.get("source") or "body",
                }
            )
    return errors


def _from_http_exception(exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if isinstance(exc, ValidationException) or status == HTTPStatus.BAD_REQUEST:
        errors = _validation_errors(exc) if isinstance(exc, ValidationException) else []
        detail = exc.detail if exc.detail and exc.detail != HTTPStatus(status).phrase else "Invalid request"
        if detail == _PARSER_LIMIT:
            detail = "The multipart body has too many parts, or a part header that is too long."
        if errors:
            detail = "; ".join(
                e["message"] if e["message"].startswith(e["field"]) else f"{e['field']}: {e['message']}" for e in errors
            )
        return _problem(status, detail, errors=errors)
    headers = exc.headers or {}
    response = _problem(status, exc.detail or HTTPStatus(status).phrase)
    response.headers.update(headers)
    return response


def _from_database_error(exc: BaseException) -> Response[dict[str, Any]]:
    if _is_connection_failure(exc):
        logger.warning("database unavailable", error=type(exc).__name__)
        return _problem(HTTPStatus.SERVICE_UNAVAILABLE, "The database is unavailable; try again shortly.")
    if isinstance(exc, NotFoundError):
        return _problem(HTTPStatus.NOT_FOUND, exc.detail or "Not found")
    if _is_data_error(exc):
        return _problem(HTTPStatus.BAD_REQUEST, "A value is out of range or malformed.")
    if isinstance(exc, (DuplicateKeyError, ForeignKeyError, IntegrityError)) or any(
        isinstance(item, (sa_exc.IntegrityError, asyncpg.exceptions.IntegrityConstraintViolationError))
        for item in _exception_chain(exc)
    ):
        detail = exc.detail if isinstance(exc, AdvancedAlchemyError) and exc.detail else "Conflict"
        if "An integrity error occurred" in detail or "There was an issue" in detail:
            detail = "The request conflicts with existing data."
        return _problem(HTTPStatus.CONFLICT, detail)
    logger.exception("database error")
    return _problem(HTTPStatus.INTERNAL_SERVER_ERROR, "An unexpected error occurred.")


_DATABASE_ERRORS = (RepositoryError, AdvancedAlchemyError, sa_exc.SQLAlchemyError, asyncpg.exceptions.PostgresError)
"""asyncpg's own errors come from the statements run on the driver (`app.lib.driver`)."""


def problem_details_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Answer any exception as problem details, with no stack trace, SQL or secret in the body."""
    if isinstance(exc, HTTPException):
        return _from_http_exception(exc)
    if isinstance(exc, _DATABASE_ERRORS):
        return _from_database_error(exc)
    if _is_connection_failure(exc):
        return _from_database_error(exc)
    if isinstance(exc, UnicodeDecodeError):
        # Only request bytes reach the handler undecoded (a multipart text part, say); the app's own
        # files and the database hand back text.
        return _problem(HTTPStatus.BAD_REQUEST, "The request holds text that is not valid UTF-8.")
    logger.exception("unhandled error", path=request.url.path, method=request.method)
    return _problem(HTTPStatus.INTERNAL_SERVER_ERROR, "An unexpected error occurred.")


def database_error_response(exc: BaseException) -> Response[dict[str, Any]]:
    """The problem response for a database error raised after the handler, e.g. by the request's COMMIT."""
    return _from_database_error(exc)


exception_handlers: dict[int | type[Exception], Any] = {Exception: problem_details_handler}
"""For `Litestar(exception_handlers=...)`: lookups go by MRO, so this one handler sees every error."""

__all__ = (
    "PROBLEM_JSON",
    "ConflictError",
    "database_error_response",
    "exception_handlers",
    "problem_details_handler",
    "violated_constraint",
)
