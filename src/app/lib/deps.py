"""Dependency providers shared by the domains: services with their list filters.

advanced-alchemy's `create_service_dependencies` builds the service provider and the filters
(pagination, case-insensitive search, ordering, id and created/updated ranges). Two of them are
replaced to hold the API contract: `pageSize` is capped at 100 and `orderBy` accepts only the
fields a resource documents; anything else is a 400 rather than a 500 or a silent default.
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from advanced_alchemy.extensions.litestar.providers import (
    DEPENDENCY_DEFAULTS,
    create_service_dependencies,
)
from advanced_alchemy.filters import LimitOffset, OrderBy
from litestar.di import Provide
from litestar.params import Parameter

from app.lib.database import get_alchemy_config

if TYPE_CHECKING:
    from advanced_alchemy.repository import LoadSpec

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def provide_limit_offset(
    current_page: Annotated[int, Parameter(query="currentPage", ge=1, le=10_000_000, description="Page, from 1")] = 1,
    page_size: Annotated[
        int, Parameter(query="pageSize", ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, 1 to {MAX_PAGE_SIZE}")
    ] = DEFAULT_PAGE_SIZE,
) -> LimitOffset:
    return LimitOffset(limit=page_size, offset=page_size * (current_page - 1))


def _order_by_provider(fields: dict[str, str], default_field: str, default_order: Literal["asc", "desc"]) -> Any:
    """A provider accepting `orderBy` from `fields` (wire name → attribute) and `sortOrder` asc|desc."""
    order_field = Literal.__getitem__(tuple(fields))

    def provide_order_by(
        order_by: Annotated[order_field, Parameter(query="orderBy", description="Field to order by")] = default_field,  # type: ignore[valid-type]
        sort_order: Annotated[
            Literal["asc", "desc"], Parameter(query="sortOrder", description="asc or desc")
        ] = default_order,
    ) -> OrderBy:
        return OrderBy(field_name=fields[order_by], sort_order=sort_order)

    return provide_order_by


def create_collection_dependencies(
    service_class: type[Any],
    *,
    key: str,
    search: str,
    order_fields: dict[str, str],
    default_order: tuple[str, Literal["asc", "desc"]],
    load: "LoadSpec | None" = None,
) -> dict[str, Provide]:
    """Service and list-filter providers for one resource."""
    deps = dict(
        create_service_dependencies(
            service_class,
            key=key,
            config=get_alchemy_config(),
            load=load,
            filters={
                "id_filter": UUID,
                "pagination_type": "limit_offset",
                "pagination_size": DEFAULT_PAGE_SIZE,
                "search": search,
                "search_ignore_case": True,
                "search_escape_wildcards": True,
                "sort_field": order_fields[default_order[0]],
                "sort_order": default_order[1],
                "created_at": True,
                "updated_at": True,
            },
        )
    )
    deps[DEPENDENCY_DEFAULTS.LIMIT_OFFSET_FILTER_DEPENDENCY_KEY] = Provide(provide_limit_offset, sync_to_thread=False)
    deps[DEPENDENCY_DEFAULTS.ORDER_BY_FILTER_DEPENDENCY_KEY] = Provide(
        _order_by_provider(order_fields, *default_order), sync_to_thread=False
    )
    return deps
