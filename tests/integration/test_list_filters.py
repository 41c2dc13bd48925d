"""The id and time filters every list takes: `ids`, `createdBefore`/`After`, `updatedBefore`/`After`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.catalogue import assert_problem, create_author, create_book


async def test_ids_selects_those_records(client):
    first = await create_author(client, "Octavia E. Butler")
    await create_author(client, "N. K. Jemisin")

    listed = await client.get("/api/authors", params={"ids": [first["id"]]})

    assert listed.status_code == 200, listed.text
    assert [author["id"] for author in listed.json()["items"]] == [first["id"]]


async def test_ids_selects_those_books(client):
    author = await create_author(client, "Ted Chiang")
    wanted = [await create_book(client, author["id"], f"Story {n}") for n in range(3)]
    await create_book(client, author["id"], "Not Wanted")

    listed = await client.get("/api/books", params={"ids": [book["id"] for book in wanted], "orderBy": "title"})

    assert listed.status_code == 200, listed.text
    assert [book["title"] for book in listed.json()["items"]] == ["Story 0", "Story 1", "Story 2"]
    assert listed.json()["total"] == 3


@pytest.mark.parametrize("value", ["", "abc", "1"])
async def test_an_id_that_is_not_a_uuid_is_400_naming_ids(client, value):
    # Before: the text reached PostgreSQL and came back as an anonymous "value out of range" 400.
    assert_problem(await client.get("/api/books", params={"ids": value}), 400, "ids")


async def test_created_and_updated_filters_take_rfc3339_times(client):
    author = await create_author(client, "Ursula K. Le Guin")
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

    around = await client.get("/api/authors", params={"createdAfter": hour_ago, "updatedBefore": in_an_hour})
    before = await client.get("/api/authors", params={"createdBefore": hour_ago})

    assert [item["id"] for item in around.json()["items"]] == [author["id"]]
    assert before.json()["items"] == []


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("createdBefore", "291453"),  # Litestar alone reads a bare number as seconds since the epoch
        ("createdAfter", "2024-05-01T12:00:00"),  # no offset: this one used to come back as a 409
        ("updatedBefore", "2024-05-01"),
        ("updatedAfter", "yesterday"),
    ],
)
async def test_a_time_that_is_not_rfc3339_with_an_offset_is_400_naming_it(client, parameter, value):
    assert_problem(await client.get("/api/tags", params={parameter: value}), 400, parameter)
