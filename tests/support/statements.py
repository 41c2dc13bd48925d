"""Counting the SQL statements the app sends, as the database would see them (one per cursor execute)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.lib import driver
from app.lib.database import get_alchemy_config


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """The statements the app sends while the block runs (an executemany counts once).

    Both kinds: those through its engine, and its reads on the driver (`app.lib.driver`).
    """
    engine = get_alchemy_config().get_engine().sync_engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with driver.observing(statements.append):
            yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
