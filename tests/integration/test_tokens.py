"""API tokens (`/api/me/tokens`): shown once, stored as a hash, revocable, accepted on every route."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import models as m
from tests.integration.catalogue import assert_problem, assert_utc_timestamp, assert_uuid7
from tests.support import db
from tests.support.accounts import create_api_token, create_user
from tests.support.browser import signed_in

TOKEN_CREATED_FIELDS = {"id", "name", "token", "createdAt", "expiresAt"}
TOKEN_LISTED_FIELDS = {"id", "name", "createdAt", "expiresAt", "lastUsedAt"}
TOKEN_FORMAT = re.compile(r"^folio_[A-Za-z0-9_\-]{40,}$")
UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


async def create_token(client: Any, name: str = "my script", **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/me/tokens", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_created_token_is_shown_once_with_its_prefix(client, user):
    response = await client.post("/api/me/tokens", json={"name": "  nightly import  "})

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == TOKEN_CREATED_FIELDS
    assert_uuid7(created["id"])
    assert created["name"] == "nightly import"
    assert TOKEN_FORMAT.match(created["token"]), created["token"]
    assert_utc_timestamp(created["createdAt"])
    assert created["expiresAt"] is None
    assert response.headers["location"]
    listed = await client.get("/api/me/tokens")
    assert created["token"] not in listed.text
    assert created["id"] in listed.text


async def test_tokens_are_random(client):
    tokens = {(await create_token(client, f"t{i}"))["token"] for i in range(3)}

    assert len(tokens) == 3


async def test_a_token_with_an_expiry(client):
    created = await create_token(client, expiresInDays=30)

    expires_at = datetime.fromisoformat(created["expiresAt"])
    expected = datetime.now(UTC) + timedelta(days=30)
    assert abs(expires_at - expected) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 1000}, "name"),
        ({}, "name"),
        ({"name": "t", "expiresInDays": 0}, "expiresInDays"),
        ({"name": "t", "expiresInDays": -1}, "expiresInDays"),
        ({"name": "t", "expiresInDays": 100000}, "expiresInDays"),
        ({"name": "t", "expiresInDays": "soon"}, "expiresInDays"),
    ],
)
async def test_token_creation_is_validated(client, body, field):
    assert_problem(await client.post("/api/me/tokens", json=body), 400, field)

    assert len((await client.get("/api/me/tokens")).json()) == 1  # only the fixture's own token


async def test_the_list_shows_my_tokens_without_their_values(client, new_client, user):
    first = await create_token(client, "first")
    second = await create_token(client, "second", expiresInDays=7)
    other = await create_user()
    await create_api_token(other, "not mine")
    assert (await new_client(second["token"]).get("/api/me")).status_code == 200

    response = await client.get("/api/me/tokens")

    assert response.status_code == 200
    listed = response.json()
    assert all(set(token) == TOKEN_LISTED_FIELDS for token in listed), listed
    by_name = {token["name"]: token for token in listed}
    assert set(by_name) == {"tests", "first", "second"}
    assert by_name["first"]["id"] == first["id"]
    assert by_name["first"]["lastUsedAt"] is None
    assert by_name["second"]["lastUsedAt"] is not None
    assert by_name["second"]["expiresAt"] == second["expiresAt"]
    for created in (first, second):
        assert created["token"] not in response.text


async def test_only_the_hash_of_a_token_is_stored(client, user):
    created = await create_token(client)

    table = m.ApiToken.__table__

    async def stored_row(session: AsyncSession) -> dict[str, Any]:
        return dict((await session.execute(select(table).where(table.c.id == created["id"]))).one()._mapping)

    row = await db.run_db(stored_row)
    assert row["token_hash"] == hashlib.sha256(created["token"].encode()).hexdigest()
    stored_values = [str(value) for value in row.values()]
    assert not any(created["token"] in value for value in stored_values), stored_values
    secret_part = created["token"].removeprefix("folio_")
    assert not any(secret_part in value for value in stored_values), stored_values


async def test_a_token_authenticates_on_its_own(client, new_client, user):
    created = await create_token(client)
    script = new_client(created["token"])

    me = await script.get("/api/me")
    author = await script.post("/api/authors", json={"name": "By Script"})

    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert author.status_code == 201
    assert await db.scalar(select(m.Author.created_by).where(m.Author.id == author.json()["id"])) == user.id


def _api_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) of the JSON API outside `/api/auth`, path parameters filled in."""
    routes: list[tuple[str, str]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        if route.path.startswith("/api/auth/"):
            continue
        path = re.sub(r"\{slug:str\}", "no-such-slug", route.path)
        path = re.sub(r"\{[a-z_]+:str\}", UNKNOWN_ID, path)
        routes.extend((method, path) for method in sorted(route.methods) if method not in {"OPTIONS", "HEAD"})
    return sorted(routes)


async def test_a_bearer_token_works_on_every_route(app, admin_client, anon_client):
    routes = _api_routes(app)
    assert len(routes) >= 25, routes
    refused = []
    for method, path in routes:
        body: dict[str, Any] | None = {} if method in {"POST", "PATCH", "PUT"} else None
        response = await admin_client.request(method, path, json=body)
        if response.status_code in {401, 403} or response.status_code >= 500:
            refused.append((method, path, response.status_code, response.text[:200]))
    assert not refused, refused
    # The same requests without the token are turned away where the route needs someone signed in.
    anonymous = {(m_, p) for m_, p in routes if (await anon_client.request(m_, p, json=None)).status_code == 401}
    assert ("GET", "/api/me") in anonymous
    assert ("GET", "/api/users") in anonymous
    assert ("POST", "/api/authors") in anonymous


async def test_a_revoked_token_is_refused_at_once(client, new_client, user):
    created = await create_token(client)
    script = new_client(created["token"])
    assert (await script.get("/api/me")).status_code == 200

    response = await client.delete(f"/api/me/tokens/{created['id']}")

    assert response.status_code == 204
    refused = await script.get("/api/me")
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"].lower().startswith("bearer")
    assert_problem(await script.get("/api/books"), 401)  # a bad token is refused, not taken as anonymous
    assert created["id"] not in (await client.get("/api/me/tokens")).text
    assert_problem(await client.delete(f"/api/me/tokens/{created['id']}"), 404)


async def test_a_token_can_revoke_itself(client):
    [own] = (await client.get("/api/me/tokens")).json()

    assert (await client.delete(f"/api/me/tokens/{own['id']}")).status_code == 204

    assert_problem(await client.get("/api/me"), 401)


async def test_someone_elses_token_cannot_be_revoked(client, new_client):
    other = await create_user()
    other_token = await create_api_token(other, "theirs")
    other_client = new_client(other_token)
    [theirs] = (await other_client.get("/api/me/tokens")).json()

    assert_problem(await client.delete(f"/api/me/tokens/{theirs['id']}"), 404)
    assert_problem(await client.delete(f"/api/me/tokens/{UNKNOWN_ID}"), 404)
    assert_problem(await client.delete("/api/me/tokens/not-a-uuid"), 400)

    assert (await other_client.get("/api/me")).status_code == 200


async def test_an_expired_token_is_refused(new_client, user):
    expired = await create_api_token(user, "old", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    live = await create_api_token(user, "live", expires_at=datetime.now(UTC) + timedelta(hours=1))

    assert_problem(await new_client(expired).get("/api/me"), 401)
    assert (await new_client(live).get("/api/me")).status_code == 200


async def test_a_token_is_refused_the_moment_it_expires(client, new_client, user):
    created = await create_token(client, expiresInDays=1)
    script = new_client(created["token"])
    assert (await script.get("/api/me")).status_code == 200

    await db.execute(update(m.ApiToken).where(m.ApiToken.id == created["id"]).values(expires_at=datetime.now(UTC)))

    assert_problem(await script.get("/api/me"), 401)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer folio_not-a-real-token-at-all-000000000000000000",
        "Bearer ",
        "Bearer not-even-the-prefix",
        "bearer folio_lowercase-scheme-but-unknown-token-0000000",
    ],
)
async def test_an_unknown_token_is_401(anon_client, authorization):
    response = await anon_client.get("/api/books", headers={"Authorization": authorization})

    assert_problem(response, 401)


async def test_the_token_of_a_deactivated_user_is_refused(new_client):
    user = await create_user()
    token = await create_api_token(user)
    assert (await new_client(token).get("/api/me")).status_code == 200

    await db.execute(update(m.User).where(m.User.id == user.id).values(is_active=False))

    assert_problem(await new_client(token).get("/api/me"), 401)


async def test_a_session_can_create_a_token_for_scripts(anon_client, new_client, user):
    await signed_in(anon_client, user.email)

    created = await create_token(anon_client, "from the browser")

    assert (await new_client(created["token"]).get("/api/me")).json()["id"] == str(user.id)
