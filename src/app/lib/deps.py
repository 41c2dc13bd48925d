"""Dependency providers shared by the domains: services with their list filters.

advanced-alchemy's `create_service_dependencies` builds the service provider and the filters
(pagination, case-insensitive search, ordering, id and created/updated ranges). Two of them are
replaced to hold the API contract: `pageSize` is capped at 100 and `orderBy` accepts only the
fields a resource documents; anything else is a 400 rather than a 500 or a silent default.

The id and created/updated filters are replaced to validate their values: ids must be UUIDs and
timestamps RFC 3339 with an offset (Litestar reads a bare number as seconds since the epoch, and a
naive timestamp reached PostgreSQL as a 409), each refused with a 400 naming the parameter.

Two more are replaced for speed, with the same parameters and results: the service comes from a
plain function, and the filters from a single dependency (see `_as_one_dependency`).
"""

import inspect
import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

import msgspec
from advanced_alchemy.extensions.litestar.providers import (
    DEPENDENCY_DEFAULTS,
    create_service_dependencies,
)
from advanced_alchemy.filters import BeforeAfter, CollectionFilter, FilterTypes, LimitOffset, OrderBy
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.params import Dependency, Parameter
from sqlalchemy import Select

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


def provide_id_filter(
    ids: Annotated[list[UUID] | None, Parameter(query="ids", description="Only these ids")] = None,
) -> CollectionFilter[UUID]:
    return CollectionFilter(field_name="id", values=ids)


_AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


def _timestamp(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return msgspec.convert(value, _AwareDatetime)
    except msgspec.ValidationError:
        message = f"{name} must be an RFC 3339 date-time with a UTC offset, e.g. 2024-05-01T12:00:00Z"
        raise ValidationException(
            detail=message, extra=[{"key": name, "message": message, "source": "query"}]
        ) from None


def _timestamp_parameter(name: str, description: str) -> Any:
    return Parameter(query=name, description=description, schema_extra={"format": "date-time"})


def provide_created_filter(
    created_before: Annotated[str | None, _timestamp_parameter("createdBefore", "Created before this time")] = None,
    created_after: Annotated[str | None, _timestamp_parameter("createdAfter", "Created after this time")] = None,
) -> BeforeAfter:
    return BeforeAfter(
        "created_at", _timestamp(created_before, "createdBefore"), _timestamp(created_after, "createdAfter")
    )


def provide_updated_filter(
    updated_before: Annotated[str | None, _timestamp_parameter("updatedBefore", "Changed before this time")] = None,
    updated_after: Annotated[str | None, _timestamp_parameter("updatedAfter", "Changed after this time")] = None,
) -> BeforeAfter:
    return BeforeAfter(
        "updated_at", _timestamp(updated_before, "updatedBefore"), _timestamp(updated_after, "updatedAfter")
    )


def _nullable(model: type[Any], field_name: str) -> bool:
    columns = getattr(getattr(model, field_name).property, "columns", [])
    return any(getattr(column, "nullable", True) for column in columns)


class OrderByThenId(OrderBy):
    """An ordering with NULLs last and the id as tie-breaker, so pages neither repeat nor skip rows.

    `NULLS LAST` is written only for a column that can hold NULL: on a NOT NULL column it changes
    nothing but stops PostgreSQL from reading a descending order off an ascending index.
    """

    def append_to_statement(self, statement: Any, model: type[Any]) -> Any:
        if self.nulls is not None and not _nullable(model, str(self.field_name)):
            plain = OrderBy(field_name=self.field_name, sort_order=self.sort_order)
            statement = plain.append_to_statement(statement, model)
        else:
            statement = super().append_to_statement(statement, model)
        if isinstance(statement, Select):
            statement = statement.order_by(model.id.desc() if self.sort_order == "desc" else model.id.asc())
        return statement


def _order_by_provider(fields: dict[str, str], default_field: str, default_order: Literal["asc", "desc"]) -> Any:
    """A provider accepting `orderBy` from `fields` (wire name → attribute) and `sortOrder` asc|desc.

    Without `sortOrder`, the default ordering keeps its own direction and any other field sorts ascending.
    """
    order_field = Literal.__getitem__(tuple(fields))
    order_help = f"One of {', '.join(fields)}; default {default_field} ({default_order})"

    def provide_order_by(
        order_by: Annotated[order_field, Parameter(query="orderBy", description=order_help)] = default_field,  # type: ignore[valid-type]
        sort_order: Annotated[
            Literal["asc", "desc"] | None,
            Parameter(query="sortOrder", description="asc or desc; asc unless orderBy is the default field"),
        ] = None,
    ) -> OrderBy:
        direction = sort_order or (default_order if order_by == default_field else "asc")
        return OrderByThenId(field_name=fields[order_by], sort_order=direction, nulls="last")

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
    deps[DEPENDENCY_DEFAULTS.ID_FILTER_DEPENDENCY_KEY] = Provide(provide_id_filter, sync_to_thread=False)
    deps[DEPENDENCY_DEFAULTS.CREATED_FILTER_DEPENDENCY_KEY] = Provide(provide_created_filter, sync_to_thread=False)
    deps[DEPENDENCY_DEFAULTS.UPDATED_FILTER_DEPENDENCY_KEY] = Provide(provide_updated_filter, sync_to_thread=False)
    deps[DEPENDENCY_DEFAULTS.LIMIT_OFFSET_FILTER_DEPENDENCY_KEY] = Provide(provide_limit_offset, sync_to_thread=False)
    deps[DEPENDENCY_DEFAULTS.ORDER_BY_FILTER_DEPENDENCY_KEY] = Provide(
        _order_by_provider(order_fields, *default_order), sync_to_thread=False
    )
    deps[DEPENDENCY_DEFAULTS.FILTERS_DEPENDENCY_KEY] = _as_one_dependency(deps)
    deps[key] = _service_provider(service_class, load)
    return deps


def _service_provider(service_class: type[Any], load: "LoadSpec | None") -> Provide:
    """The service on the request's session, from a plain function.

    advanced-alchemy's provider is an async generator (a context manager around the service), which
    Litestar drives as a generator dependency and finishes after the response, on every request.
    """

    def provide_service(db_session: Annotated[Any, Dependency(skip_validation=True)]) -> Any:
        return service_class(session=db_session, load=load)

    return Provide(provide_service, sync_to_thread=False)


def _python_name(annotation: Any, name: str) -> str:
    """The snake_case of a parameter's query name: what validation errors are keyed by (camelised back)."""
    for meta in getattr(annotation, "__metadata__", ()):
        wire = getattr(meta, "query", None) or getattr(meta, "name", None)
        if isinstance(wire, str):
            return re.sub(r"(?<!^)(?=[A-Z])", "_", wire).lower()
    return name


def _as_one_dependency(deps: dict[str, Provide]) -> Provide:
    """advanced-alchemy's `filters` dependency, as one provider calling the filter providers in turn.

    There, each filter is a dependency of its own and `filters` gathers them; Litestar resolves
    sibling dependencies concurrently, one asyncio task each, which on a list request costs more than
    building the filters. Here one provider takes every filter provider's parameters (each renamed
    after its query name, which is unique, and keeping its type and limits), so the query parameters,
    their validation and its errors, the OpenAPI document and the list of filters are what they were.
    """
    aggregate = deps[DEPENDENCY_DEFAULTS.FILTERS_DEPENDENCY_KEY].dependency
    parameters: list[inspect.Parameter] = []
    annotations: dict[str, Any] = {}
    calls: list[tuple[str, Any, dict[str, str]]] = []
    for key in inspect.signature(aggregate).parameters:
        provider = deps[key].dependency
        names: dict[str, str] = {}
        for name, parameter in inspect.signature(provider).parameters.items():
            annotation = provider.__annotations__.get(name, parameter.annotation)
            merged = _python_name(annotation, name)
            parameters.append(
                parameter.replace(name=merged, kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
            )
            annotations[merged] = annotation
            names[merged] = name
        calls.append((key, provider, names))

    def provide_filters(**values: Any) -> list[FilterTypes]:
        built = {
            key: provider(**{name: values[merged] for merged, name in names.items()}) for key, provider, names in calls
        }
        return aggregate(**built)

    setattr(provide_filters, "__signature__", inspect.Signature(parameters, return_annotation=list[FilterTypes]))  # noqa: B010
    provide_filters.__annotations__ = {**annotations, "return": list[FilterTypes]}
    return Provide(provide_filters, sync_to_thread=False)
