"""Base classes for msgspec request and response bodies (camelCase on the wire)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec
from advanced_alchemy.filters import LimitOffset
from advanced_alchemy.service import OffsetPagination

T = TypeVar("T")


class CamelizedBaseStruct(msgspec.Struct, rename="camel", omit_defaults=False):
    """A wire schema: snake_case in Python, camelCase in JSON."""


class PatchStruct(CamelizedBaseStruct):
    """A partial update: fields left out of the body stay `UNSET` and are not changed."""

    def to_changes(self) -> dict[str, Any]:
        return {name: value for name in self.__struct_fields__ if (value := getattr(self, name)) is not msgspec.UNSET}


def paginated(items: Sequence[T], total: int, filters: Sequence[Any]) -> OffsetPagination[T]:
    """The list envelope `{items, total, limit, offset}` for the page the filters selected."""
    page = next((f for f in filters if isinstance(f, LimitOffset)), None)
    limit = page.limit if page else len(items)
    offset = page.offset if page else 0
    return OffsetPagination(items=items, total=total, limit=limit, offset=offset)
