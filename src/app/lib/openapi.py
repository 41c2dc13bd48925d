"""OpenAPI descriptions of the problem-details responses each route can give."""

from __future__ import annotations

from http import HTTPStatus

from litestar.openapi import ResponseSpec

from app.lib.errors import PROBLEM_JSON
from app.lib.schema import CamelizedBaseStruct


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


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """`responses=` for a route handler: each status answered with problem details."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_JSON,
            description=HTTPStatus(status).phrase,
            generate_examples=False,
        )
        for status in statuses
    }


READ = problem_responses(400, 404, 503)
LIST = problem_responses(400, 503)
WRITE = problem_responses(400, 401, 403, 404, 409, 413, 415, 503)
DELETE = problem_responses(400, 401, 403, 404, 409, 503)
