"""`storebridge doctor`: is everything in place for syncing? One line per check.

It reads WooCommerce, the POS/ERP connector and StoreBridge's database, and
changes nothing (`sync.setup.doctor` says how each fact is probed). Each line
says what was found and, when it is not right, what to do. The exit status
is 1 when a check fails (syncing cannot work until it is fixed), 0 when
there are at most warnings.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from storebridge.cli.sync import ConfigOption, StoreOption, console, open_services, run_engine
from storebridge.cli.sync import store_names as selected_stores
from storebridge.domain.readiness import Verdict, blocks_sync
from storebridge.sync.setup.doctor import diagnose_installation, diagnose_store

__all__ = ["PublicUrlOption", "doctor"]

PublicUrlOption = Annotated[
    str | None,
    typer.Option(
        "--public-url",
        help="the address WooCommerce reaches this StoreBridge at (default: [web] public_url)",
    ),
]

_MARKS = {
    "ok": "[green]  ok  [/]",
    "warn": "[yellow] warn [/]",
    "fail": "[bold red] FAIL [/]",
    "skip": "[dim] skip [/]",
}


def show_verdicts(out: Console, verdicts: list[Verdict]) -> None:
    """One row per verdict, the fix below what was found; long lines wrap in their column."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, min_width=11)
    grid.add_column(overflow="fold")
    for verdict in verdicts:
        text = escape(verdict.found)
        if verdict.fix and verdict.level in ("warn", "fail"):
            text += f"\n[dim]→ {escape(verdict.fix)}[/]"
        grid.add_row(_MARKS[verdict.level], verdict.check, text)
    out.print(grid)


def doctor(
    store: StoreOption = None,
    public_url: PublicUrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Check WooCommerce, the POS/ERP and the database are ready for syncing (changes nothing)."""
    out = console()
    every: list[Verdict] = []
    with open_services(config) as services:
        shared = diagnose_installation(services)
        out.print("[bold]StoreBridge[/]")
        show_verdicts(out, shared)
        every += shared
        for name in selected_stores(services, store):
            verdicts = run_engine(
                services, partial(diagnose_store, services, name, public_url=public_url), store=name
            )
            out.print(f"[bold]store {escape(name)}[/]")
            show_verdicts(out, verdicts)
            every += verdicts
    if blocks_sync(every):
        out.print("[bold red]Something above stops syncing: fix the FAIL lines first.[/]")
        raise typer.Exit(code=1)
    warnings = sum(1 for v in every if v.level == "warn")
    out.print(f"[green]Ready to sync[/]{f' ({warnings} warnings)' if warnings else ''}.")
