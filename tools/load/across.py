"""Sessions and auth limits held across the two web processes, and across the restart of one of them.

A is the first web process (the one the fault kills and restarts), B the second. First: five wrong
passwords for one email, alternating A and B, lock it on both; 30 auth requests from one client
address, alternating, spend its limit, so the 31st is refused; a session made on A is used on B.
Then, once A is back (or halfway through a run without a fault): the session still works on A and,
signed out on B, is refused by A; the locked email and the spent address are still refused by A.
Each finding is a check of the run's verdict.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from data.dataset import DatasetUser
from load.client import Client
from load.context import RunContext
from load.integrity import Check
from load.logins import FAILURES_ALLOWED, sign_in, sign_out

AUTH_REQUESTS_PER_MINUTE = 30
WINDOW_MARGIN = 3.0
"""Seconds of the spent limit's window that must be left to check it again on A."""
UNLIMITED = 10**9


@dataclass(frozen=True)
class Spent:
    address: str
    until: float
    """`time.monotonic()` when its window ends."""


def _status(response: httpx.Response | None) -> int | str:
    return "no answer" if response is None else response.status_code


async def across_processes(context: RunContext, session_user: DatasetUser, lockout_user: DatasetUser) -> None:
    a, b = context.servers[0], context.servers[-1]
    session = Client(context.servers, context.metrics)
    try:
        try:
            context.across.append(await lock_out(context, lockout_user, a, b))
            limit, spent = await spend_limit(context, a, b)
            context.across.append(limit)
            context.across.append(await session_on_both(context, session, session_user, a, b))
        finally:
            context.probed.set()
        await context.restarted.wait()
        context.across.extend(await session_later(context, session, a, b))
        context.across.extend(await limits_later(context, spent, lockout_user, a))
    finally:
        await session.close()


async def lock_out(context: RunContext, user: DatasetUser, a: str, b: str) -> Check:
    client = Client(context.servers, context.metrics)
    try:
        answers = []
        for attempt in range(FAILURES_ALLOWED):
            response = await sign_in(
                client,
                user.email,
                "not the password",
                kind="login_wrong",
                expect=frozenset({401}),
                server=(a, b)[attempt % 2],
            )
            answers.append(_status(response))
        locked = await sign_in(
            client, user.email, context.dataset.password, kind="login_locked_out", expect=frozenset({429}), server=b
        )
    finally:
        await client.close()
    retry_after = locked.headers.get("Retry-After") if locked is not None else None
    ok = answers == [401] * FAILURES_ALLOWED and _status(locked) == 429 and bool(retry_after)
    detail = (
        f"{FAILURES_ALLOWED} wrong passwords for one email, alternating A and B: {answers}; "
        f"then the right one on B: {_status(locked)}, Retry-After {retry_after}"
    )
    return Check("per-email lockout counted across A and B", ok, detail)


async def spend_limit(context: RunContext, a: str, b: str) -> tuple[Check, Spent]:
    """Auth requests without a CSRF token (each counted, answered 403) until the address is refused."""
    client = Client(context.servers, context.metrics, auth_requests_per_address=UNLIMITED)
    body = {"email": "nobody@load.example", "password": "not checked at all"}
    try:
        answers = []
        for number in range(AUTH_REQUESTS_PER_MINUTE):
            response = await client.call(
                "auth_limit_counted", "POST", "/api/auth/login", expect={403}, json=body, server=(a, b)[number % 2]
            )
            answers.append(_status(response))
        refused = await client.call("auth_limit_refused", "POST", "/api/auth/login", expect={429}, json=body, server=a)
    finally:
        await client.close()
    retry_after = refused.headers.get("Retry-After", "") if refused is not None else ""
    until = time.monotonic() + (int(retry_after) if retry_after.isdigit() else 0)
    ok = answers == [403] * AUTH_REQUESTS_PER_MINUTE and _status(refused) == 429 and retry_after.isdigit()
    detail = (
        f"{AUTH_REQUESTS_PER_MINUTE} auth requests from {client.address}, half to A and half to B, counted "
        f"({answers.count(403)} answered 403); the next, to A: {_status(refused)}, Retry-After {retry_after or None}"
    )
    return Check("per-client auth limit counted across A and B", ok, detail), Spent(client.address, until)


async def session_on_both(context: RunContext, session: Client, user: DatasetUser, a: str, b: str) -> Check:
    signed_in = await sign_in(session, user.email, context.dataset.password, kind="session_login_on_a", server=a)
    me = await session.call("session_me_on_b", "GET", "/api/me", expect={200}, server=b)
    ok = _status(signed_in) == 200 and _status(me) == 200 and me is not None and me.json()["email"] == user.email
    detail = f"signed in on A: {_status(signed_in)}; /api/me with that session on B: {_status(me)}"
    return Check("a session made on A works on B", ok, detail)


async def session_later(context: RunContext, session: Client, a: str, b: str) -> list[Check]:
    when = "after A's restart" if context.metrics.outages else "later"
    me = await session.call("session_me_on_a_later", "GET", "/api/me", expect={200}, server=a)
    ended = await sign_out(session, kind="session_logout_on_b", server=b)
    gone: httpx.Response | None = None
    if ended is not None:
        probe = Client(context.servers, context.metrics)
        probe.http.cookies.set("session", ended)
        try:
            gone = await probe.call("session_me_on_a_after_logout", "GET", "/api/me", expect={401}, server=a)
        finally:
            await probe.close()
    return [
        Check(f"the session made on A still works on A {when}", _status(me) == 200, f"/api/me on A: {_status(me)}"),
        Check(
            "signed out on B, the session is refused on A",
            ended is not None and _status(gone) == 401,
            f"sign-out on B: {'204' if ended else 'failed'}; /api/me on A with the old session: {_status(gone)}",
        ),
    ]


async def limits_later(context: RunContext, spent: Spent, lockout_user: DatasetUser, a: str) -> list[Check]:
    when = "after A's restart" if context.metrics.outages else "later"
    return [await _limit_later(context, spent, a, when), await _lockout_later(context, lockout_user, a, when)]


async def _limit_later(context: RunContext, spent: Spent, a: str, when: str) -> Check:
    name = f"the spent per-client limit still refused on A {when}"
    if time.monotonic() >= spent.until - WINDOW_MARGIN:
        return Check(name, True, "not checked: its window ended")
    client = Client(context.servers, context.metrics, auth_requests_per_address=UNLIMITED)
    client.address = spent.address
    body = {"email": "nobody@load.example", "password": "not checked at all"}
    try:
        refused = await client.call(
            "auth_limit_refused_later", "POST", "/api/auth/login", expect={429}, json=body, server=a
        )
    finally:
        await client.close()
    return Check(name, _status(refused) == 429, f"one more auth request from {spent.address} to A: {_status(refused)}")


async def _lockout_later(context: RunContext, user: DatasetUser, a: str, when: str) -> Check:
    client = Client(context.servers, context.metrics)
    try:
        locked = await sign_in(
            client,
            user.email,
            context.dataset.password,
            kind="login_locked_out_later",
            expect=frozenset({429}),
            server=a,
        )
    finally:
        await client.close()
    name = f"the locked-out email still refused on A {when}"
    return Check(name, _status(locked) == 429, f"the right password on A: {_status(locked)}")
