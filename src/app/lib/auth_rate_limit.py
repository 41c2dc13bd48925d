"""At most `AUTH_REQUESTS_PER_MINUTE` requests per minute per client address to `/api/auth/*`.

The count is kept by `app.lib.rate_limit` in PostgreSQL, so the limit holds across every server
process. Every request to the prefix counts, whatever its answer (a refused CSRF token, a wrong
password, a 429): an attacker cannot spend requests that go uncounted.

The client address is the ASGI peer address. `X-Forwarded-For` is read only when that peer is one
of `TRUSTED_PROXIES` (addresses or networks, e.g. `10.0.0.0/8`): the header is then walked from
right to left, skipping trusted proxies, and the first other address is the client (a malformed
entry stops the walk at the last good hop). From any other peer the header is ignored, so a client
cannot pick a fresh address for every request.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import structlog
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException

from app.lib import rate_limit
from app.lib.asgi import AUTH_PATH_PREFIX
from app.lib.settings import SettingsError, get_settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from litestar.types import ASGIApp, Receive, Scope, Send

WINDOW = timedelta(minutes=1)
UNKNOWN_CLIENT = "unknown"
logger = structlog.get_logger("app.auth")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` entries as networks (a bare address is a /32 or /128)."""
    networks: list[Network] = []
    for entry in (entry.strip() for entry in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            msg = f"TRUSTED_PROXIES must list IP addresses or networks (10.0.0.0/8); got {entry!r}"
            raise SettingsError(msg) from exc
    return tuple(networks)


@lru_cache(maxsize=1)
def trusted_proxies() -> tuple[Network, ...]:
    return parse_networks(get_settings().auth.trusted_proxies)


def _is_trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def _forwarded_for(scope: Scope) -> list[str]:
    """Every address in every `X-Forwarded-For` header, in order (the nearest proxy's last)."""
    addresses: list[str] = []
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            addresses.extend(part.strip() for part in value.decode("latin-1").split(",") if part.strip())
    return addresses


def client_address(scope: Scope, proxies: tuple[Network, ...] | None = None) -> str:
    """The address a request comes from, trusting `X-Forwarded-For` only from a trusted proxy."""
    proxies = trusted_proxies() if proxies is None else proxies
    client = scope.get("client")
    peer = client[0] if client else UNKNOWN_CLIENT
    if not proxies or not _is_trusted(peer, proxies):
        return peer
    nearest = peer
    for address in reversed(_forwarded_for(scope)):
        try:
            nearest = str(ipaddress.ip_address(address))
        except ValueError:
            break  # a malformed entry: the chain cannot be trusted past it
        if not _is_trusted(nearest, proxies):
            return nearest
    return nearest  # every hop is a trusted proxy: the request started at the farthest one


def client_key(address: str) -> str:
    """The rate-limit counter key for one client address."""
    return f"auth-requests:{address}"


def auth_rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    """Refuse (429 with `Retry-After`) a client over its per-minute `/api/auth/*` budget."""
    trusted_proxies()  # a bad TRUSTED_PROXIES entry stops the app from starting, not a request

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not scope["path"].startswith(AUTH_PATH_PREFIX):
            await app(scope, receive, send)
            return
        limit = get_settings().auth.auth_requests_per_minute
        address = client_address(scope)
        count = await rate_limit.hit(client_key(address), WINDOW)
        if count.hits > limit:
            if count.hits == limit + 1:
                logger.warning("auth requests limited", client=address, path=scope["path"], limit=limit)
            raise TooManyRequestsException(
                detail="Too many requests to /api/auth from this address; try again later.",
                headers={"Retry-After": str(count.retry_after())},
            )
        await app(scope, receive, send)

    return middleware
