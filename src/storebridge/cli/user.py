"""`storebridge user add | passwd | role`: dashboard users, argon2-hashed passwords, roles.

The password is prompted for (twice, hidden), never taken from the command
line, where it would end up in the shell history and the process list.
A `viewer` sees every dashboard page; an `operator` may also act (retry,
skip, resolve...).  Users created before roles existed are operators.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from storebridge.cli.run import ConfigOption, open_services
from storebridge.persistence.repositories import users
from storebridge.web.security import MIN_PASSWORD_LENGTH, hash_password

app = typer.Typer(help="Manage dashboard users.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="the login name")]


class RoleChoice(StrEnum):
    """The roles, as typer offers them (`users.ROLES`)."""

    viewer = "viewer"
    operator = "operator"


RoleOption = Annotated[
    RoleChoice,
    typer.Option(help="viewer: sees every page; operator: may also retry, skip, resolve"),
]


def _password() -> str:
    while True:
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) >= MIN_PASSWORD_LENGTH:
            return password
        typer.echo(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", err=True)


@app.command("add")
def add(
    name: NameArgument, role: RoleOption = RoleChoice.operator, config: ConfigOption = None
) -> None:
    """Create a dashboard user (prompts for the password)."""
    with open_services(config) as services:
        with services.sessions() as session:
            if users.get_user(session, username=name) is not None:
                typer.echo(f"error: user {name.strip()!r} already exists", err=True)
                raise typer.Exit(code=1)
        password_hash = hash_password(_password())
        try:
            with services.sessions.begin() as session:
                user = users.add_user(
                    session, username=name, password_hash=password_hash, role=_role(role)
                )
        except (users.UserExists, ValueError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=1) from None
        typer.echo(f"user {user.username!r} ({role.value}) created; log in at the dashboard")


@app.command("passwd")
def passwd(name: NameArgument, config: ConfigOption = None) -> None:
    """Set a new password for a dashboard user."""
    with open_services(config) as services:
        with services.sessions() as session:
            if users.get_user(session, username=name) is None:
                typer.echo(f"error: no user {name.strip()!r}", err=True)
                raise typer.Exit(code=1)
        password_hash = hash_password(_password())
        with services.sessions.begin() as session:
            users.set_password_hash(session, username=name, password_hash=password_hash)
        typer.echo(f"password of {name.strip()!r} changed")


@app.command("role")
def role(
    name: NameArgument,
    new_role: Annotated[RoleChoice, typer.Argument(metavar="ROLE", help="viewer or operator")],
    config: ConfigOption = None,
) -> None:
    """Give a dashboard user another role (applies at the user's next request)."""
    with open_services(config) as services, services.sessions.begin() as session:
        if not users.set_role(session, username=name, role=_role(new_role)):
            typer.echo(f"error: no user {name.strip()!r}", err=True)
            raise typer.Exit(code=1)
    typer.echo(f"{name.strip()!r} is now {new_role.value}")


def _role(choice: RoleChoice) -> users.Role:
    return "viewer" if choice is RoleChoice.viewer else "operator"
