from __future__ import annotations

from advanced_alchemy.base import orm_registry
from sqlalchemy import Column, DateTime, Integer, String, Table

rate_limit_counter = Table(
    "rate_limit_counter",
    orm_registry.metadata,
    Column("key", String(400), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("window_ends_at", DateTime(timezone=True), nullable=False, index=True),
    comment="Fixed-window counters shared by every server process (login failures, requests per client).",
    # No WAL: a counter write does not wait for a flush; a crash or a failover empties the table
    # (migration 0005 says why that is acceptable).
    prefixes=["UNLOGGED"],
)

__all__ = ("rate_limit_counter",)
