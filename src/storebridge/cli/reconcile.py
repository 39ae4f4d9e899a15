"""`storebridge reconcile`: read WooCommerce back, show drift, fix it (or only report it).

Drift is a POS-owned field (price, sale, stock) that WooCommerce holds
differently from what StoreBridge stands for, typically a hand edit.  The
command also reports broken links (SKU edited in WooCommerce) and deleted
products, which are never re-created, and relinks those fixed by hand.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from storebridge.cli.sync import (
    ConfigOption,
    StoreOption,
    console,
    open_services,
    print_problems,
    run_engine,
    store_lock,
    store_names,
)
from storebridge.sync.catalogue.reconcile import reconcile as run_reconcile
from storebridge.sync.report import RunReport

__all__ = ["reconcile"]


def _summary(reports: list[RunReport], fix: bool) -> Table:
    table = Table(title="Reconcile" if fix else "Reconcile (report only: nothing written)")
    for column in ("store", "outcome", "checked", "drifted", "fixed", "broken", "deleted"):
        table.add_column(column, justify="left" if column in ("store", "outcome") else "right")
    table.add_column("relinked", justify="right")
    table.add_column("requests (read/write)", justify="right")
    for report in reports:
        counts = report.counts
        table.add_row(
            escape(report.store),
            escape(report.outcome),
            *(str(counts.get(key, 0)) for key in ("checked", "drifted", "updated")),
            str(counts.get("broken", 0)),
            str(counts.get("deleted", 0)),
            str(counts.get("relinked", 0)),
            f"{report.reads}/{report.writes}",
        )
    return table


def _drift(reports: list[RunReport], limit: int) -> Table:
    table = Table(title="Drift (ours = what StoreBridge stands for)")
    for column in ("store", "sku", "WooCommerce id", "field", "ours", "theirs"):
        table.add_column(column)
    rows = [(report.store, drift) for report in reports for drift in report.drift]
    for store, drift in rows[:limit]:
        cells = (store, drift.sku, str(drift.woo_id), drift.field, drift.ours, drift.theirs)
        table.add_row(*(escape(cell) for cell in cells))
    return table


def reconcile(
    store: StoreOption = None,
    fix: Annotated[
        bool,
        typer.Option("--fix/--report-only", help="correct the drift, or only report it"),
    ] = True,
    limit: Annotated[int, typer.Option("--limit", help="drift rows listed")] = 50,
    config: ConfigOption = None,
) -> None:
    """Compare WooCommerce with what StoreBridge pushed; fix drift and find lost links."""
    out = console()
    reports: list[RunReport] = []
    with open_services(config) as services:
        for name in store_names(services, store):
            with store_lock(services, name):
                reports.append(
                    run_engine(
                        services, partial(run_reconcile, services, name, fix=fix), store=name
                    )
                )
    out.print(_summary(reports, fix))
    if any(report.drift for report in reports):
        out.print(_drift(reports, limit))
        total = sum(len(report.drift) for report in reports)
        if total > limit:
            out.print(f"  ... and {total - limit} more drifted fields")
    for report in reports:
        print_problems(out, report)
    if any(report.outcome != "ok" for report in reports):
        raise typer.Exit(code=1)
