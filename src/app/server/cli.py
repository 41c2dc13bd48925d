"""Folio's own CLI commands, added to the Litestar CLI by `ApplicationCore.on_cli_init`."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from click import Group


def register_commands(cli: Group) -> None:
    """Folio's additions to the plugins' groups (`database`, `workers`) and its own (`users`, `catalogue`)."""
    from advanced_alchemy.extensions.litestar.cli import database_group

    from app.domain.accounts.cli import users_group
    from app.domain.books.cli import catalogue_group

    cli.add_command(users_group)
    cli.add_command(catalogue_group)

    # advanced-alchemy calls it `stamp`; Folio's docs and scripts use `stamp-migration`.
    if "stamp-migration" not in database_group.commands:
        alias = copy.copy(database_group.commands["stamp"])
        alias.name = "stamp-migration"
        alias.help = "Same as `stamp`: set the revision table to REVISION without running migrations."
        alias.short_help = None
        database_group.add_command(alias)
