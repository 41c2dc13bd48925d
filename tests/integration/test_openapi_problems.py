"""The OpenAPI document names every error status a route can answer, as the problem details the app sends."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from litestar import Litestar

from app.lib.errors import PROBLEM_JSON

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"
PROBLEM_REF = "#/components/schemas/ProblemDetails"
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(app: Litestar) -> dict[str, Any]:
    return app.openapi_schema.to_schema()


def api_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, item[method])
        for path, item in document["paths"].items()
        if path.startswith("/api/")
        for method in METHODS
        if method in item
    ]


def error_statuses(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"] if status[0] in "45"}


def test_every_error_response_of_the_api_is_documented_as_problem_details(document: dict[str, Any]) -> None:
    operations = api_operations(document)
    assert len(operations) >= 40
    for method, path, operation in operations:
        for status in error_statuses(operation):
            content = operation["responses"][str(status)]["content"]
            assert list(content) == [PROBLEM_JSON], (method, path, status, content)
            assert content[PROBLEM_JSON]["schema"] == {"$ref": PROBLEM_REF}, (method, path, status)
        # Any route may meet an unknown API token or a database that went away.
        assert {401, 503} <= error_statuses(operation), (method, path)
        if method != "GET":
            assert 403 in error_statuses(operation), f"{method} {path}: a missing CSRF token is a 403"
        if "{" in path:
            assert {400, 404} <= error_statuses(operation), (method, path)
        if "requestBody" in operation:
            assert {400, 413, 415} <= error_statuses(operation), (method, path)
        if path.startswith("/api/auth/"):
            assert 429 in error_statuses(operation), (method, path)


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("GET", "/api/books", {400, 401, 503}),
        ("POST", "/api/books", {400, 401, 403, 409, 413, 415, 503}),
        ("GET", "/api/me", {401, 403, 503}),
        ("POST", "/api/auth/logout", {401, 403, 429, 503}),
        ("POST", "/api/auth/login", {400, 401, 403, 413, 415, 429, 503}),
        ("POST", "/api/auth/signup", {400, 401, 403, 409, 413, 415, 429, 503}),
        ("DELETE", "/api/authors/{author_id}", {400, 401, 403, 404, 409, 503}),
        ("DELETE", "/api/tags/{tag_id}", {400, 401, 403, 404, 503}),
        ("PUT", "/api/books/{book_id}/cover", {400, 401, 403, 404, 413, 415, 503}),
        ("GET", "/api/imports", {400, 401, 403, 503}),
    ],
)
def test_each_route_documents_exactly_the_errors_it_can_give(
    document: dict[str, Any], method: str, path: str, statuses: set[int]
) -> None:
    assert error_statuses(document["paths"][path][method.lower()]) == statuses


def test_a_cover_documents_its_not_modified_answer(document: dict[str, Any]) -> None:
    responses = document["paths"]["/api/books/{book_id}/cover"]["get"]["responses"]
    assert "304" in responses
    assert "content" not in responses["304"]


def validator(document: dict[str, Any], operation: dict[str, Any], status: int) -> Any:
    schema = operation["responses"][str(status)]["content"][PROBLEM_JSON]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


async def test_the_problems_the_app_sends_match_the_documented_schema(
    document: dict[str, Any], client: Any, anon_client: Any
) -> None:
    tag = (await client.post("/api/tags", json={"name": "Fantasy"})).json()
    answers = [
        ("GET", "/api/books", await client.get("/api/books", params={"pageSize": 1000}), 400),
        ("GET", "/api/books", await anon_client.get("/api/books", headers={"Authorization": "Bearer nope"}), 401),
        ("POST", "/api/authors", await anon_client.post("/api/authors", json={"name": "Anonymous"}), 401),
        ("DELETE", "/api/tags/{tag_id}", await client.delete(f"/api/tags/{tag['id']}"), 403),
        ("GET", "/api/books/{book_id}", await client.get(f"/api/books/{UNKNOWN_ID}"), 404),
        ("POST", "/api/tags", await client.post("/api/tags", json={"name": "fantasy"}), 409),
        (
            "POST",
            "/api/authors",
            await client.post("/api/authors", content=b"name=x", headers={"content-type": "text/plain"}),
            415,
        ),
    ]
    for method, path, response, status in answers:
        assert response.status_code == status, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON
        operation = document["paths"][path][method.lower()]
        assert status in error_statuses(operation), (method, path, status)
        body = response.json()
        errors = list(validator(document, operation, status).iter_errors(body))
        assert not errors, (method, path, body, [str(error) for error in errors])
    assert answers[0][2].json()["errors"][0]["field"] == "pageSize"
