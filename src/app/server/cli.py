"""Folio's own CLI commands, added to the Litestar CLI by `ApplicationCore.on_cli_init`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from click import Group


def register_commands(cli: Group) -> None:
    """Nothing yet beyond the plugins' groups (`database`, `workers`)."""
