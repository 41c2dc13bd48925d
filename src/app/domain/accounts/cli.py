"""`app users ...`: create, promote and deactivate users from the command line.

Passwords are never taken as arguments (they would end up in shell history and `ps`): `create`
prompts for one, twice. On a terminal the prompt does not echo; when stdin is not a terminal the
password and its confirmation are read as two lines from stdin, so scripts can pipe them in.
The services do not commit; each command commits its own transaction.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import anyio
import click

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from app.db import models as m


def _run(function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run a coroutine function to completion, closing the connection pool after it."""
    from app.lib.database import get_alchemy_config

    async def main() -> Any:
        try:
            return await function(*args)
        finally:
            await get_alchemy_config().get_engine().dispose()

    return anyio.run(main)


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def _describe(user: m.User) -> str:
    role = "superuser" if user.is_superuser else "user"
    state = "active" if user.is_active else "deactivated"
    return f"{user.email} ({role}, {state}, id {user.id})"


@click.group(name="users", help="Manage users: create, promote to superuser, deactivate.")
def users_group() -> None:
    """`app users ...`."""


@users_group.command(name="create", help="Create a user; prompts for the password (never pass it as an argument).")
@click.option("--email", required=True, help="The user's email address (stored lower-cased).")
@click.option("--name", required=True, help="The user's display name.")
@click.option("--superuser", is_flag=True, default=False, help="Make the user a superuser.")
def create_user(email: str, name: str, superuser: bool) -> None:
    from app.domain.accounts.password_policy import password_problems
    from app.domain.accounts.schemas import clean_email
    from app.lib import validation as v

    try:
        email = clean_email(email)
        name = v.clean_name(v.clean_text_without_nul(name, "name"), "name")
    except ValueError as exc:
        _fail(str(exc))
    # On a terminal the password is typed without echo (getpass). From a pipe it is read as plain
    # lines: getpass would go looking for the controlling terminal instead of reading the pipe.
    interactive = sys.stdin.isatty()
    password: str = click.prompt(
        "Password", hide_input=interactive, confirmation_prompt=True, err=True, show_default=False, type=str
    )
    if not interactive:
        click.echo("", err=True)  # the prompts' line endings came from the pipe, not from a terminal
    problems = password_problems(password, email)
    if problems:
        _fail("; ".join(problems))
    user = _run(_create, email, name, password, superuser)
    click.echo(f"Created {_describe(user)}")


async def _create(email: str, name: str, password: str, superuser: bool) -> m.User:
    from litestar.exceptions import HTTPException

    from app.domain.accounts.services import UserService
    from app.lib.database import get_alchemy_config

    async with get_alchemy_config().get_session() as db_session:
        service = UserService(session=db_session)
        try:
            user = await service.sign_up(email=email, password=password, name=name, is_superuser=superuser)
            user.is_verified = True  # an operator vouches for the address
            await db_session.commit()
        except HTTPException as exc:  # the policy's 400 or the duplicate email's 409
            _fail(exc.detail)
        return user


@users_group.command(name="promote", help="Make the user with EMAIL a superuser.")
@click.argument("email")
def promote_user(email: str) -> None:
    user = _run(_update, email, {"is_superuser": True})
    click.echo(f"Promoted {_describe(user)}")


@users_group.command(name="deactivate", help="Deactivate the user with EMAIL and revoke their sessions and API tokens.")
@click.argument("email")
def deactivate_user(email: str) -> None:
    user = _run(_update, email, {"is_active": False})
    click.echo(f"Deactivated {_describe(user)}; their sessions and API tokens are revoked")


async def _update(email: str, changes: dict[str, Any]) -> m.User:
    from app.domain.accounts.services import UserService
    from app.lib.database import get_alchemy_config

    async with get_alchemy_config().get_session() as db_session:
        service = UserService(session=db_session)
        user = await service.get_one_or_none(email=email.strip().lower())
        if user is None:
            _fail(f"No user with email {email.strip().lower()}")
        user = await service.update_by_admin(user.id, changes)
        await db_session.commit()
        return user
