"""Signing in and out: right and wrong passwords, kept under the limits (`across.py` probes the limits).

At most 5 failed logins per email in 15 minutes are answered 401; the next attempt gets 429 whatever
the password. Each login client owns its users and gives each at most `WRONG_PER_EMAIL` wrong
passwords, so every answer is known in advance.
"""

from __future__ import annotations

from collections import Counter

import httpx

from data.dataset import DatasetUser
from load.client import Client
from load.context import RunContext

FAILURES_ALLOWED = 5
WRONG_PER_EMAIL = FAILURES_ALLOWED - 1
WRONG_SHARE = 0.3


async def sign_in(
    client: Client,
    email: str,
    password: str,
    *,
    kind: str = "login",
    expect: frozenset[int] = frozenset({200}),
    server: str | None = None,
) -> httpx.Response | None:
    await client.ensure_csrf_cookie()
    body = {"email": email, "password": password}
    return await client.call(kind, "POST", "/api/auth/login", expect=expect, csrf=True, json=body, server=server)


async def sign_out(client: Client, kind: str = "logout", server: str | None = None) -> str | None:
    """Log out; returns the session id the client had, which must no longer work."""
    session = client.http.cookies.get("session")
    response = await client.call(kind, "POST", "/api/auth/logout", expect={204}, csrf=True, server=server)
    return session if response is not None and response.status_code == 204 else None


async def check_session_gone(context: RunContext, session: str) -> None:
    """A logged-out session id, sent again (to either process), must be answered 401."""
    probe = Client(context.servers, context.metrics)
    probe.http.cookies.set("session", session)
    try:
        await probe.call("me_after_logout", "GET", "/api/me", expect={401})
    finally:
        await probe.close()


async def login_client(context: RunContext, number: int, users: list[DatasetUser]) -> None:
    rng = context.rng("login", number)
    client = Client(context.servers, context.metrics, offset=number)
    wrong: Counter[str] = Counter()
    turn = 0
    try:
        while context.running():
            user = users[turn % len(users)]
            turn += 1
            if rng.random() < WRONG_SHARE and wrong[user.email] < WRONG_PER_EMAIL:
                wrong[user.email] += 1
                await sign_in(client, user.email, f"wrong {rng.random()}", kind="login_wrong", expect=frozenset({401}))
                continue
            response = await sign_in(client, user.email, context.dataset.password)
            if response is None or response.status_code != 200:
                continue
            if response.json()["email"] != user.email:
                context.metrics.wrong("login", f"signed in as {user.email}, answered {response.json()['email']}")
            me = await client.call("me", "GET", "/api/me", expect={200})
            if me is not None and me.status_code == 200 and me.json()["email"] != user.email:
                context.metrics.wrong("me", f"session of {user.email} is {me.json()['email']}")
            if rng.random() < 0.5:
                session = await sign_out(client)
                if session is not None and rng.random() < 0.3:
                    await check_session_gone(context, session)
    finally:
        await client.close()
