"""`storebridge user add | passwd`: dashboard users, with argon2-hashed passwords.

The password is prompted for (twice, hidden), never taken from the command
line, where it would end up in the shell history and the process list.
"""

from __future__ import annotations

from typing import Annotated

import typer

from storebridge.cli.run import ConfigOption, open_services
from storebridge.persistence.repositories import users
from storebridge.web.security import MIN_PASSWORD_LENGTH, hash_password

app = typer.Typer(help="Manage dashboard users.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="the login name")]


def _password() -> str:
    while True:
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) >= MIN_PASSWORD_LENGTH:
            return password
        typer.echo(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", err=True)


@app.command("add")
def add(name: NameArgument, config: ConfigOption = None) -> None:
    """Create a dashboard user (prompts for the password)."""
    with open_services(config) as services:
        with services.sessions() as session:
            if users.get_user(session, username=name) is not None:
                typer.echo(f"error: user {name.strip()!r} already exists", err=True)
                raise typer.Exit(code=1)
        password_hash = hash_password(_password())
        try:
            with services.sessions.begin() as session:
                user = users.add_user(session, username=name, password_hash=password_hash)
        except (users.UserExists, ValueError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=1) from None
        typer.echo(f"user {user.username!r} created; log in at the dashboard")


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
