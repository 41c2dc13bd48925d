# mypy: disallow-untyped-calls=False
"""Load a benchmark dataset into a migrated, empty database with `COPY`, in one transaction.

The password is hashed once (with the app's own `hash_password`) and shared by every user, so the
load takes a couple of seconds whatever the number of users. Afterwards the tables are vacuumed
and analysed, so the benchmark meets the query plans and visibility map of a settled database
rather than those of a table that was empty a second ago.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import asyncpg

from app.lib.crypt import hash_password
from app.lib.database import plain_dsn

from .dataset import Dataset
from .records import DatasetRows, build_rows


class DatasetLoadError(RuntimeError):
    """The database cannot take the dataset: it is not migrated, or not empty."""


def new_password() -> str:
    return f"bench-{secrets.token_urlsafe(12)}"


async def _check_empty(connection: asyncpg.Connection, tables: list[str]) -> None:
    missing = [table for table in tables if await connection.fetchval("SELECT to_regclass($1)", table) is None]
    if missing:
        msg = f"no table {', '.join(missing)}: migrate the database first (`app database upgrade --no-prompt`)"
        raise DatasetLoadError(msg)
    quoted = ", ".join(f'"{table}"' for table in tables)
    # Held until the load commits: a second loader started meanwhile finds the rows, not an empty table.
    await connection.execute(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE")
    filled = [table for table in tables if await connection.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")')]
    if filled:
        msg = (
            f"the database is not empty (rows in {', '.join(filled)}); the dataset loads only into a migrated, "
            "empty database: use a fresh DATA_DIR or a new database"
        )
        raise DatasetLoadError(msg)


async def copy_rows(database_url: str, rows: DatasetRows) -> None:
    """Write every table of `rows` with `COPY`, after checking the tables exist and are empty."""
    tables = [table.table for table in rows.tables]
    quoted = ", ".join(f'"{table}"' for table in tables)
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        async with connection.transaction():
            await _check_empty(connection, tables)
            for table in rows.tables:
                await connection.copy_records_to_table(table.table, records=table.rows, columns=table.columns)
        await connection.execute(f"VACUUM (ANALYZE) {quoted}")
    finally:
        await connection.close()


async def load_dataset(
    database_url: str,
    *,
    authors: int = 1000,
    books: int = 20000,
    tags: int = 100,
    users: int = 100,
    seed: int = 1,
    password: str | None = None,
) -> Dataset:
    """Generate the dataset for `seed` and load it; `database_url` may be a SQLAlchemy URL.

    Refuses (`DatasetLoadError`) a database that is not migrated or already has catalogue or
    account rows. `password` defaults to a new random one; it is in the returned `Dataset`.
    """
    password = password or new_password()
    rows = build_rows(
        authors=authors,
        books=books,
        tags=tags,
        users=users,
        seed=seed,
        password=password,
        password_hash=await hash_password(password),
        now=datetime.now(UTC),
    )
    await copy_rows(database_url, rows)
    return rows.dataset
