"""Statements SQLAlchemy would compile on every execution, compiled once.

SQLAlchemy 2.0 keeps a cache of compiled statements, but PostgreSQL's `INSERT ... ON CONFLICT`
construct opts out of it ("no key" in the engine's log): it is compiled anew each time it runs,
which costs more than the insert itself. Rendered once to SQL text here, it is an ordinary cached
`text()` construct, and asyncpg keeps it as a prepared statement.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects import postgresql

if TYPE_CHECKING:
    from sqlalchemy import Table, TextualSelect
    from sqlalchemy.sql.dml import ValuesBase

_DIALECT = postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]
_CAST_BIND = re.compile(r":(\w+)::(\w+)")
"""`:id::UUID` (a bind with the cast a column type asks for), which `text()` would not see as a bind."""


def precompiled(statement: ValuesBase, table: Table, *, returning: bool = False) -> TextClause | TextualSelect:
    """`statement` on `table` (its values named bind parameters, one per column) as SQL text.

    The binds keep their columns' types, so values are converted as SQLAlchemy would (a JSON column's
    None is stored as JSON null, as an ORM insert stores it); with `returning`, so are the result's columns.
    """
    compiled = statement.compile(dialect=_DIALECT)
    clause = text(_CAST_BIND.sub(r"CAST(:\1 AS \2)", str(compiled)))
    clause = clause.bindparams(*(bindparam(name, type_=table.columns[name].type) for name in compiled.params))
    return clause.columns(*table.columns) if returning else clause


def insert_columns(table: Table) -> list[str]:
    """The columns an insert of a whole row names: all but those the database fills in itself."""
    return [column.key for column in table.columns if column.server_default is None]


def bound_values(names: list[str]) -> dict[str, Any]:
    """`VALUES (:name, ...)` for `insert().values()`."""
    return {name: bindparam(name) for name in names}


def full_row(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values` for every column of `insert_columns(table)`, the missing ones from their Python default (or None)."""
    row: dict[str, Any] = {}
    for name in insert_columns(table):
        if name in values:
            row[name] = values[name]
            continue
        default = table.columns[name].default
        if default is None:
            row[name] = None
        elif default.is_callable:
            row[name] = default.arg(None)  # type: ignore[attr-defined]
        else:
            row[name] = default.arg  # type: ignore[attr-defined]
    return row
