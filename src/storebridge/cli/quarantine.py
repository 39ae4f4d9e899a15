"""`storebridge quarantine list`: the POS rows held back, why, and how to fix them.

A row stays listed until it validates again (it is then synced normally) or,
for a complete feed, until it disappears from the feed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from storebridge.cli.sync import ConfigOption, StoreOption, console, fail, open_services
from storebridge.errors import ConfigError
from storebridge.persistence.repositories.quarantine import list_open

__all__ = ["app"]

app = typer.Typer(help="POS rows held back by validation.", no_args_is_help=True)


@app.command("list")
def list_command(
    store: StoreOption = None,
    limit: Annotated[int, typer.Option("--limit", help="rows listed at most")] = 500,
    config: ConfigOption = None,
) -> None:
    """List the open quarantined rows, most recently seen first."""
    out = console()
    with open_services(config) as services:
        if store is not None:
            try:
                services.store(store)
            except ConfigError as exc:
                raise fail(str(exc)) from None
        try:
            with services.sessions() as session:
                rows = list_open(session, store=store, limit=limit)
        except (OperationalError, ProgrammingError):
            raise fail(
                f"cannot read the database {services.settings.storage.display_url}; "
                "run `storebridge db upgrade` first"
            ) from None
    if not rows:
        out.print("no quarantined rows")
        return
    table = Table(title=f"Quarantined POS rows ({len(rows)})")
    for column in ("store", "sku", "reason", "what to fix", "source", "last seen"):
        table.add_column(column, overflow="fold")
    for row in rows:
        where = row.source if row.line is None else f"{row.source}:{row.line}"
        table.add_row(
            escape(row.store),
            escape(row.sku or "(none)"),
            escape(row.reason),
            escape(row.detail),
            escape(where),
            row.last_seen.strftime("%Y-%m-%d %H:%M UTC"),
        )
    out.print(table)
