"""Signing in and out: right and wrong passwords, kept under the limits, plus a probe of each limit.

At most 5 failed logins per email in 15 minutes are answered 401; the next attempt gets 429 whatever
the password. Each login client owns its users and gives each at most `WRONG_PER_EMAIL` wrong
passwords, so every answer is known in advance. One probe spends one user on that limit: 5 wrong
passwords (401) and then the right one, which must be refused with 429 and `Retry-After`. Another
spends one client address on the limit of 30 auth requests a minute. Both probes alternate between
the web processes, so the limits must hold across them.
"""

from __future__ import annotations

from collections import Counter

import httpx

from data.dataset import DatasetUser
from load.client import Client
from load.context import RunContext

FAILURES_ALLOWED = 5
AUTH_REQUESTS_PER_MINUTE = 30
WRONG_PER_EMAIL = FAILURES_ALLOWED - 1
WRONG_SHARE = 0.3


async def sign_in(
    client: Client, email: str, password: str, *, kind: str = "login", expect: frozenset[int] = frozenset({200})
) -> httpx.Response | None:
    await client.ensure_csrf_cookie()
    body = {"email": email, "password": password}
    return await client.call(kind, "POST", "/api/auth/login", expect=expect, csrf=True, json=body)


async def sign_out(client: Client, kind: str = "logout") -> str | None:
    """Log out; returns the session id the client had, which must no longer work."""
    session = client.http.cookies.get("session")
    response = await client.call(kind, "POST", "/api/auth/logout", expect={204}, csrf=True)
    return session if response is not None and response.status_code == 204 else None


async def check_session_gone(context: RunContext, session: str) -> None:
    """A logged-out session id, sent again (to either process), must be answered 401."""
    probe = Client(context.servers, context.metrics)
    probe.http.cookies.set("session", session)
    try:
        await probe.call("me_after_logout", "GET", "/api/me", expect={401})
    finally:
        await probe.close()


async def lockout_probe(context: RunContext, user: DatasetUser) -> None:
    client = Client(context.servers, context.metrics)
    try:
        for _ in range(FAILURES_ALLOWED):
            await sign_in(client, user.email, "not the password", kind="login_wrong", expect=frozenset({401}))
        response = await sign_in(
            client, user.email, context.dataset.password, kind="login_locked_out", expect=frozenset({429})
        )
        if response is not None and response.status_code == 429 and not response.headers.get("Retry-After"):
            context.metrics.wrong("login_locked_out", "429 without Retry-After")
    finally:
        await client.close()


async def client_limit_probe(context: RunContext) -> None:
    """One address, its requests to `/api/auth/*` alternating between the processes: the first
    `AUTH_REQUESTS_PER_MINUTE` count (logins without the CSRF token: 403), the next is refused with 429."""
    client = Client(context.servers, context.metrics, auth_requests_per_address=AUTH_REQUESTS_PER_MINUTE + 1)
    body = {"email": "nobody@load.example", "password": "not checked at all"}
    try:
        for _ in range(AUTH_REQUESTS_PER_MINUTE):
            await client.call("auth_limit_counted", "POST", "/api/auth/login", expect={403}, json=body)
        response = await client.call("auth_limit_refused", "POST", "/api/auth/login", expect={429}, json=body)
        if response is not None and response.status_code == 429 and not response.headers.get("Retry-After"):
            context.metrics.wrong("auth_limit_refused", "429 without Retry-After")
    finally:
        await client.close()


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
