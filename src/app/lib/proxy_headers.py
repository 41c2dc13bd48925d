"""The client behind a reverse proxy: `X-Forwarded-For` and `X-Forwarded-Proto` from `TRUSTED_PROXIES` only.

`apply_proxy_headers` runs first for every request (`app.server.asgi.FolioApp`) and rewrites the
ASGI scope's `client` and `scheme`, so the rate limits, the request log, the login log lines and
any URL the app builds all see the same client and scheme.

The headers count only when the peer (the TCP connection's other end) is one of `TRUSTED_PROXIES`
(addresses or networks, e.g. `10.0.0.0/8`). `X-Forwarded-For` is then walked from right to left,
skipping trusted proxies, and the first other address is the client (a malformed entry stops the
walk at the last good hop); `X-Forwarded-Proto` is the one the nearest proxy set (its last entry).
From any other peer both headers are ignored, so a client cannot pick a fresh address for every
request. With `TRUSTED_PROXIES` unset nothing is rewritten.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING

from app.lib.settings import SettingsError, get_settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from litestar.types import Scope

UNKNOWN_CLIENT = "unknown"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCHEMES = {"http": {"http": "http", "https": "https"}, "websocket": {"http": "ws", "https": "wss"}}


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


@lru_cache(maxsize=4096)  # parsing an address costs ~10 µs; a request asks for up to a few
def _is_trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def _header_items(scope: Scope, name: bytes) -> list[str]:
    """Every comma-separated item of every `name` header, in order (the nearest proxy's last)."""
    items: list[str] = []
    for key, value in scope.get("headers", []):
        if key == name:
            items.extend(part.strip() for part in value.decode("latin-1").split(",") if part.strip())
    return items


def client_host(scope: Scope) -> str:
    """The address of the scope's client: after `apply_proxy_headers`, the real client's."""
    client = scope.get("client")
    return client[0] if client else UNKNOWN_CLIENT


def client_address(scope: Scope, proxies: tuple[Network, ...] | None = None) -> str:
    """The address a request comes from, trusting `X-Forwarded-For` only from a trusted proxy."""
    proxies = trusted_proxies() if proxies is None else proxies
    peer = client_host(scope)
    if not proxies or not _is_trusted(peer, proxies):
        return peer
    nearest = peer
    for address in reversed(_header_items(scope, b"x-forwarded-for")):
        try:
            nearest = str(ipaddress.ip_address(address))
        except ValueError:
            break  # a malformed entry: the chain cannot be trusted past it
        if not _is_trusted(nearest, proxies):
            return nearest
    return nearest  # every hop is a trusted proxy: the request started at the farthest one


def forwarded_scheme(scope: Scope, proxies: tuple[Network, ...] | None = None) -> str | None:
    """`http` or `https` as the nearest trusted proxy says the client used; None when it says nothing usable."""
    proxies = trusted_proxies() if proxies is None else proxies
    if not proxies or not _is_trusted(client_host(scope), proxies):
        return None
    said = _header_items(scope, b"x-forwarded-proto")
    scheme = said[-1].lower() if said else ""
    return scheme if scheme in {"http", "https"} else None


def apply_proxy_headers(scope: Scope, proxies: tuple[Network, ...] | None = None) -> None:
    """Set the scope's `client` and `scheme` to what a trusted proxy in front says they are."""
    proxies = trusted_proxies() if proxies is None else proxies
    if not proxies or scope["type"] not in _SCHEMES:
        return
    scheme = forwarded_scheme(scope, proxies)
    client = client_address(scope, proxies)
    if scheme is not None:
        scope["scheme"] = _SCHEMES[scope["type"]][scheme]
    if client != client_host(scope):
        scope["client"] = (client, 0)
