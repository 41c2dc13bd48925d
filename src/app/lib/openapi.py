"""The problem-details responses of every API route, documented from the route's own shape.

Each error status comes from a rule about the route, the same rule the code follows when it answers:

- every `/api` route: 401 (an unknown, revoked or expired API token is refused on any route, and
  guarded routes refuse anonymous callers) and 503 (every request reads the database);
- a route that takes input (path or query parameters, a body): 400;
- a route with path parameters: 404;
- a route with a body: 413 and 415;
- an unsafe method (CSRF) or a guard (deactivated account, not a superuser): 403;
- a route under `/api/auth/`: 429 (the per-client limit);
- whatever a handler declares in `raises=` (e.g. `ConflictError`: 409).

A guarded route also names how a caller signs in (`SECURITY_SCHEMES`: an API token, or the browser
session's cookie, which needs the CSRF header on unsafe methods).

`ProblemResponses.receive_route` applies them to each handler when it is registered, before the
OpenAPI document is built; responses a handler lists itself in `responses=` are kept as they are.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import SecurityRequirement, SecurityScheme
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import HTTPRoute

from app.lib.asgi import AUTH_PATH_PREFIX, SESSION_COOKIE
from app.lib.errors import PROBLEM_JSON
from app.lib.schema import CamelizedBaseStruct

if TYPE_CHECKING:
    from litestar._kwargs import KwargsModel
    from litestar.handlers import HTTPRouteHandler
    from litestar.routes import BaseRoute

API_PREFIX = "/api/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

WHEN: dict[int, str] = {
    400: "Invalid input: malformed JSON, wrong types, out-of-range values, unknown referenced ids; "
    "`errors` names the offending fields",
    401: "Not signed in, or the API token is unknown, revoked or expired",
    403: "Not allowed: not the record's creator, not a superuser, a deactivated account, "
    "or a missing or wrong CSRF token on a cookie-authenticated write",
    404: "No such resource",
    409: "Conflicts with existing data: a duplicate unique value, or a record still referenced",
    413: "The body is too large",
    415: "Unsupported media type",
    429: "Too many requests; `Retry-After` says when to try again",
    503: "The database is unavailable; `Retry-After` says when to try again",
}


SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    "apiToken": SecurityScheme(
        type="http",
        scheme="bearer",
        description="An API token (`POST /api/me/tokens`), sent as `Authorization: Bearer folio_...`",
    ),
    "sessionCookie": SecurityScheme(
        type="apiKey",
        name=SESSION_COOKIE,
        security_scheme_in="cookie",
        description="The browser session (`POST /api/auth/login`); unsafe methods also need the `X-CSRFToken` "
        "header equal to the `csrftoken` cookie",
    ),
}
SIGNED_IN: list[SecurityRequirement] = [{name: []} for name in SECURITY_SCHEMES]
"""Either scheme will do."""


class FieldError(CamelizedBaseStruct):
    field: str
    message: str
    source: str


class ProblemDetails(CamelizedBaseStruct):
    """An RFC 9457 problem: `status` is the HTTP status; validation problems list their fields in `errors`."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemDetails,
        media_type=PROBLEM_JSON,
        description=WHEN.get(status, HTTPStatus(status).phrase),
        generate_examples=False,
    )


def problem_statuses(path: str, method: str, handler: HTTPRouteHandler, kwargs_model: KwargsModel) -> set[int]:
    """The error statuses a request to `method path` can be answered with."""
    statuses = {401, 503}
    has_body = "data" in kwargs_model.expected_reserved_kwargs
    if has_body or kwargs_model.expected_path_params or kwargs_model.expected_query_params:
        statuses.add(400)
    if kwargs_model.expected_path_params:
        statuses.add(404)
    if has_body:
        statuses |= {413, 415}
    if method in UNSAFE_METHODS or handler.resolve_guards():
        statuses.add(403)
    if path.startswith(AUTH_PATH_PREFIX):
        statuses.add(429)
    statuses |= {exception.status_code for exception in handler.raises or ()}
    return statuses


class ProblemResponses(ReceiveRoutePlugin):
    """Documents each `/api` handler's problem responses as it is registered."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API_PREFIX):
            return
        for method, (handler, kwargs_model) in route.route_handler_map.items():
            statuses = problem_statuses(route.path, method, handler, kwargs_model)
            documented = {status: problem_response(status) for status in sorted(statuses)}
            handler.responses = {**documented, **(handler.responses or {})}
            if handler.resolve_guards() and handler.security is None:
                handler.security = SIGNED_IN
