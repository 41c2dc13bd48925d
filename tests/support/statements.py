"""Counting the SQL statements the app sends, as the database would see them (one per cursor execute)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.lib.database import get_alchemy_config


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """The statements sent through the app's engine while the block runs (an executemany counts once)."""
    engine = get_alchemy_config().get_engine().sync_engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
