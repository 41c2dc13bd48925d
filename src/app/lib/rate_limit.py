"""Fixed-window counters kept in PostgreSQL, so limits hold across every server process.

Each counter is read or written by one statement of its own on a pooled connection, outside the
request's transaction (autocommit): a request that ends in an error (and so rolls back its own
transaction) still counts, and no BEGIN or COMMIT round trip is spent on it. The statements run on
the driver (`app.lib.driver`): every `/api/auth` request writes a counter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Float, Integer, String, bindparam, func, select, text

from app.db.models import rate_limit_counter
from app.lib.database import get_alchemy_config
from app.lib.driver import driver_query, fetch_row, pooled_connection

if TYPE_CHECKING:
    from sqlalchemy import BindParameter, ColumnElement, ScalarSelect, TextualSelect


def counting(key: str = "key", window: str = "window") -> TextualSelect:
    """The statement counting one event under the bind parameter `key` (a window of `window` seconds
    opens when none runs), returning `hits` and `window_ends_at`: a CTE to count along with another query."""
    return (
        text(
            f"""
            INSERT INTO rate_limit_counter AS c (key, hits, window_ends_at)
            VALUES (:{key}, 1, now() + make_interval(secs => :{window}))
            ON CONFLICT (key) DO UPDATE SET
                hits = CASE WHEN c.window_ends_at <= now() THEN 1 ELSE c.hits + 1 END,
                window_ends_at = CASE
                    WHEN c.window_ends_at <= now() THEN EXCLUDED.window_ends_at ELSE c.window_ends_at
                END
            RETURNING hits, window_ends_at
            """  # noqa: S608 - the two names are bind parameters' names, not values
        )
        .bindparams(bindparam(key, type_=String), bindparam(window, type_=Float))
        .columns(hits=Integer, window_ends_at=DateTime(timezone=True))
    )


_HIT = driver_query(counting())


def _running(key: BindParameter[str]) -> ColumnElement[bool]:
    """The counter of `key`, while its window runs."""
    return (rate_limit_counter.c.key == key) & (rate_limit_counter.c.window_ends_at > func.now())


_CURRENT = driver_query(
    select(rate_limit_counter.c.hits, rate_limit_counter.c.window_ends_at).where(_running(bindparam("key")))
)


@dataclass(frozen=True)
class WindowCount:
    hits: int
    window_ends_at: datetime

    @classmethod
    def of(cls, hits: int | None, window_ends_at: datetime | None) -> WindowCount | None:
        """The count as read (`current`, `current_columns`), None when no window is running."""
        return None if hits is None or window_ends_at is None else cls(hits=hits, window_ends_at=window_ends_at)

    def retry_after(self) -> int:
        """Whole seconds until the window resets (at least 1)."""
        return max(1, math.ceil((self.window_ends_at - datetime.now(UTC)).total_seconds()))


def current_columns(key: BindParameter[str]) -> tuple[ScalarSelect[int], ScalarSelect[datetime]]:
    """`current(key)` as two scalar subqueries (NULL when no window runs), to read along with another query."""
    return (
        select(rate_limit_counter.c.hits).where(_running(key)).scalar_subquery(),
        select(rate_limit_counter.c.window_ends_at).where(_running(key)).scalar_subquery(),
    )


async def hit(key: str, window: timedelta) -> WindowCount:
    """Count one event for `key` in the current window and return the window's count."""
    async with pooled_connection() as connection:
        row = await fetch_row(connection, _HIT, {"key": key, "window": window.total_seconds()})
    assert row is not None  # INSERT … ON CONFLICT DO UPDATE … RETURNING always returns the row
    return WindowCount(hits=row["hits"], window_ends_at=row["window_ends_at"])


async def current(key: str) -> WindowCount | None:
    """The count of `key`'s window still running, if any."""
    async with pooled_connection() as connection:
        row = await fetch_row(connection, _CURRENT, {"key": key})
    return WindowCount.of(row["hits"], row["window_ends_at"]) if row else None


async def reset(key: str) -> None:
    async with get_alchemy_config().get_engine().begin() as connection:
        await connection.execute(rate_limit_counter.delete().where(rate_limit_counter.c.key == key))


async def delete_finished_windows() -> int:
    async with get_alchemy_config().get_engine().begin() as connection:
        result = await connection.execute(
            rate_limit_counter.delete().where(rate_limit_counter.c.window_ends_at <= func.now())
        )
    return int(result.rowcount or 0)
