"""Users read on the driver (`app.lib.driver`): the columns to select, and the `User` made from a row.

Such a `User` belongs to no ORM session (it is transient): it is read, and handlers change users by
id, never through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy import inspect

from app.db import models as m

if TYPE_CHECKING:
    from sqlalchemy import Table

    from app.lib.driver import Columns

USERS = cast("Table", m.User.__table__)
_ATTRIBUTE_COLUMNS = [
    (attribute.key, attribute.columns[0].name)
    for attribute in inspect(m.User).column_attrs
    if not attribute.key.startswith("_")  # the ORM's insert sentinel
]


def detached_user(row: Columns) -> m.User:
    """The `User` whose columns `row` holds under their own names (select `*USERS.columns`)."""
    return m.User(**{attribute: row[column] for attribute, column in _ATTRIBUTE_COLUMNS})
