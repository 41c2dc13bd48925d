"""The app's own route table, read from the built Litestar app: every (method, path) a client can call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from litestar.routes import HTTPRoute

if TYPE_CHECKING:
    from litestar import Litestar

IMPLICIT_METHODS = {"OPTIONS", "HEAD"}
"""Added by Litestar to every route (CORS preflight, HEAD of a GET); they run no handler of ours."""


@dataclass(frozen=True, order=True)
class Operation:
    method: str
    path: str
    """The path as a template, e.g. `/api/books/{book_id}` (no converter types)."""
    parameters: tuple[str, ...]
    guards: frozenset[str]
    """Names of the guards on every layer that owns the handler (app, router, controller, handler)."""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def operations(app: Litestar) -> list[Operation]:
    found: dict[str, Operation] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            guards = frozenset(
                getattr(guard, "__name__", repr(guard))
                for layer in handler.ownership_layers
                for guard in (layer.guards or ())
            )
            for method in sorted(handler.http_methods - IMPLICIT_METHODS):
                operation = Operation(method, route.path_format, tuple(route.path_parameters), guards)
                found[operation.key] = operation
    return sorted(found.values())
