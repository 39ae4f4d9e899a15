"""`storebridge db upgrade | current`: manage the schema of StoreBridge's own database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from storebridge.cli.options import ConfigOption, load_or_exit
from storebridge.persistence.db import create_engine_for, current_revision, head_revision, upgrade
from storebridge.settings import StorageSettings

app = typer.Typer(help="Create and migrate StoreBridge's database.", no_args_is_help=True)


def _unreachable(storage: StorageSettings, exc: OperationalError) -> typer.Exit:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else exc.__class__.__name__
    typer.echo(f"error: cannot use the database {storage.display_url}: {reason}", err=True)
    return typer.Exit(code=2)


@app.command("upgrade")
def upgrade_command(config: ConfigOption = None) -> None:
    """Create the tables or migrate them to this version's schema."""
    storage = load_or_exit(config).storage
    engine = create_engine_for(storage.sqlalchemy_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except OperationalError as exc:
        raise _unreachable(storage, exc) from None
    finally:
        engine.dispose()
    if before == after:
        typer.echo(f"{storage.display_url}: already at revision {after}")
    else:
        typer.echo(f"{storage.display_url}: upgraded from {before or 'empty'} to {after}")


@app.command("current")
def current_command(
    config: ConfigOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="exit with status 1 unless the schema is current")
    ] = False,
) -> None:
    """Show the database's schema revision and whether it is up to date."""
    storage = load_or_exit(config).storage
    url = storage.sqlalchemy_url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        # Do not create an empty database file just to report that there is none.
        revision = None
    else:
        engine = create_engine_for(url)
        try:
            revision = current_revision(engine)
        except OperationalError as exc:
            raise _unreachable(storage, exc) from None
        finally:
            engine.dispose()
    head = head_revision()
    if revision == head:
        typer.echo(f"{storage.display_url}: revision {revision} (up to date)")
        return
    typer.echo(
        f"{storage.display_url}: revision {revision or 'none'}, latest is {head}; "
        "run `storebridge db upgrade`"
    )
    if check:
        raise typer.Exit(code=1)
