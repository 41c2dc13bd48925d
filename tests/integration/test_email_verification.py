"""Email verification: sign-up queues a mail (after the commit) whose single-use link sets `isVerified`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from app.db import models as m
from app.domain.accounts.jobs import send_verification_email
from tests.integration.catalogue import assert_problem
from tests.support import db
from tests.support.accounts import create_user
from tests.support.browser import new_email, sign_up
from tests.support.csrf import csrf_headers
from tests.support.mail import clear_mail, deliver_mail, inbox, link_token, queued_jobs

if TYPE_CHECKING:
    from collections.abc import Iterator

VERIFY_JOB = "send_verification_email"


@pytest.fixture(autouse=True)
def _empty_mailbox() -> Iterator[None]:
    clear_mail()
    yield
    clear_mail()


async def verify(client: Any, token: str) -> Any:
    return await client.post("/api/auth/verify-email", json={"token": token}, headers=await csrf_headers(client))


async def signed_up(client: Any) -> dict[str, Any]:
    response = await sign_up(client, email=new_email())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_signup_queues_one_verification_email_for_the_new_user(anon_client):
    user = await signed_up(anon_client)

    [job] = await queued_jobs(VERIFY_JOB)

    assert job.kwargs == {"user_id": user["id"]}, "the job carries the user, never a token"
    assert await queued_jobs("send_password_reset_email") == []


async def test_the_verification_link_verifies_the_email(anon_client):
    user = await signed_up(anon_client)
    assert user["isVerified"] is False
    assert await deliver_mail() == 1
    [message] = inbox(user["email"])
    assert "confirm" in message["Subject"].lower() or "verif" in message["Subject"].lower()
    token = link_token(message, "verify-email")

    response = await verify(anon_client, token)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert (await anon_client.get("/api/me")).json()["isVerified"] is True
    stored = await db.scalar(select(m.AccountToken).where(m.AccountToken.user_id == user["id"]))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest(), "only the token's hash is stored"
    assert stored.used_at is not None


async def test_a_verification_token_works_once(anon_client, new_client):
    user = await signed_up(anon_client)
    await deliver_mail()
    token = link_token(inbox(user["email"])[-1], "verify-email")
    assert (await verify(anon_client, token)).status_code == 204

    assert_problem(await verify(new_client(), token), 400, "token")


async def test_verifying_needs_no_session(anon_client, new_client):
    user = await signed_up(anon_client)
    await deliver_mail()
    token = link_token(inbox(user["email"])[-1], "verify-email")

    # The link may be opened in another browser, where nobody is signed in.
    assert (await verify(new_client(), token)).status_code == 204

    assert (await anon_client.get("/api/me")).json()["isVerified"] is True


@pytest.mark.parametrize("token", ["", "nonsense", "A" * 43])
async def test_an_invalid_verification_token_is_400(anon_client, token):
    assert_problem(await verify(anon_client, token), 400, "token")


async def test_an_expired_verification_token_is_400(anon_client):
    user = await signed_up(anon_client)
    await deliver_mail()
    token = link_token(inbox(user["email"])[-1], "verify-email")
    await db.execute(update(m.AccountToken).values(expires_at=datetime.now(UTC)))

    assert_problem(await verify(anon_client, token), 400, "token")

    assert (await anon_client.get("/api/me")).json()["isVerified"] is False


async def test_a_reset_token_cannot_verify_an_email(anon_client):
    user = await signed_up(anon_client)
    forgot = await anon_client.post(
        "/api/auth/forgot-password", json={"email": user["email"]}, headers=await csrf_headers(anon_client)
    )
    assert forgot.status_code == 202
    assert await deliver_mail() == 2
    [reset_mail] = [message for message in inbox(user["email"]) if "reset" in message["Subject"].lower()]

    assert_problem(await verify(anon_client, link_token(reset_mail, "reset-password")), 400, "token")

    assert (await anon_client.get("/api/me")).json()["isVerified"] is False


async def test_the_job_sends_nothing_for_a_user_who_is_gone_or_deactivated():
    deactivated = await create_user(is_active=False, is_verified=False)

    assert await send_verification_email({}, user_id=str(deactivated.id)) is False  # type: ignore[typeddict-item]
    assert await send_verification_email({}, user_id="01900000-0000-7000-8000-000000000000") is False  # type: ignore[typeddict-item]

    assert inbox(deactivated.email) == []
    assert await db.scalars(select(m.AccountToken)) == []
