"""Database errors raised on the driver (`app.lib.driver`) are answered as SQLAlchemy's would be."""

from __future__ import annotations

import json
from typing import Any, cast

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from app.lib.errors import problem_details_handler

REQUEST = cast("Any", None)
"""The handler looks at the request only to log an unexpected error."""


def answer(exc: Exception) -> tuple[int | None, dict[str, Any]]:
    response = problem_details_handler(REQUEST, exc)
    return response.status_code, json.loads(json.dumps(response.content))


def wrapped_by_sqlalchemy(error: asyncpg.exceptions.PostgresError) -> sa_exc.IntegrityError:
    try:
        raise sa_exc.IntegrityError("INSERT ...", {}, error) from error
    except sa_exc.IntegrityError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.ForeignKeyViolationError('insert on table "book_tag" violates foreign key constraint'),
        asyncpg.exceptions.CheckViolationError('new row for relation "book" violates check constraint'),
        asyncpg.exceptions.UniqueViolationError("duplicate key value violates unique constraint"),
    ],
)
def test_an_integrity_error_from_the_driver_is_a_409_like_sqlalchemys(error):
    assert answer(error) == answer(wrapped_by_sqlalchemy(error))
    assert answer(error) == (
        409,
        {"type": "about:blank", "title": "Conflict", "status": 409, "detail": "Conflict"},
    )


def test_a_connection_dropped_while_idle_in_the_pool_is_a_503():
    # What asyncpg raises for a statement on a pooled connection whose server went away (a restart)
    # after it was checked out; SQLAlchemy would have invalidated the connection and said 503 too.
    dropped = asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress")

    status, body = answer(dropped)

    assert status == 503
    assert body["status"] == 503
