"""`storebridge orders ...`: the order ledger and the export to the POS/ERP, by hand.

- ``refresh``: read new and changed orders into the ledger and push the stock
  figures their allocation changed (one allocation cycle);
- ``export``: export due orders (and credits) to the POS/ERP now;
- ``list``: the export records, optionally only those in one state;
- ``retry ORDER_ID``: a failed, parked or skipped order (or its failed
  credits) goes again, at once;
- ``skip ORDER_ID --reason TEXT``: never export this order.

Commands only parse, call the engines and render.  They take the store's job
locks shared with `storebridge run`, so a command never races the runner:
``refresh`` pushes stock, so it takes the ``catalog`` lock of every job writing
products or stock (a manual refresh never interleaves a stock push with a
running products sync); ``export`` and ``retry`` take the ``export`` lock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from storebridge.bootstrap import Services
from storebridge.cli.sync import (
    ConfigOption,
    StoreOption,
    console,
    fail,
    open_services,
    print_problems,
    run_engine,
    store_lock,
    store_names,
)
from storebridge.errors import ExportError
from storebridge.persistence.tables import Export
from storebridge.persistence.tables import Order as OrderRow
from storebridge.sync.export.engine import (
    export_orders,
    resolve_review_export,
    retry_export,
    skip_export,
)
from storebridge.sync.locks import CATALOG_LOCK, EXPORT_LOCK
from storebridge.sync.orders.allocation import AllocationCycle, refresh_and_push
from storebridge.sync.report import RunReport

__all__ = ["app"]

app = typer.Typer(help="The order ledger and the export to the POS/ERP.", no_args_is_help=True)

_STATES = ("seen", "eligible", "exported", "failed", "parked", "skipped", "review")

OrderId = Annotated[int, typer.Argument(help="the WooCommerce order id")]


def _one_store(services: Services, store: str | None) -> str:
    names = store_names(services, store)
    if len(names) > 1:
        raise fail(f"several stores are configured ({', '.join(names)}); choose one with --store")
    return names[0]


def _database_error(services: Services) -> typer.Exit:
    return fail(
        f"cannot use the database {services.settings.storage.display_url}; "
        "run `storebridge db upgrade` first"
    )


@app.command("refresh")
def refresh(
    store: StoreOption = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            help="where a store's very first read starts (UTC), instead of its whole history",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Read new and changed orders into the ledger and push the stock they move."""
    out = console()
    start = None if since is None else since.replace(tzinfo=since.tzinfo or UTC)
    cycles: list[tuple[str, AllocationCycle]] = []
    with open_services(config) as services:
        for name in store_names(services, store):
            with store_lock(services, name, CATALOG_LOCK):
                work = partial(refresh_and_push, services, name, since=start)
                cycles.append((name, run_engine(services, work, store=name)))
    table = Table(title="Order ledger refresh")
    for column in ("store", "new", "changed", "released", "SKUs checked", "stock pushed"):
        table.add_column(column, justify="right" if column != "store" else "left")
    failed = False
    for name, cycle in cycles:
        table.add_row(
            escape(name),
            str(cycle.refresh.count("new")),
            str(cycle.refresh.count("changed")),
            str(len(cycle.released)),
            str(len(cycle.skus)),
            str(cycle.pushed),
        )
    out.print(table)
    for _name, cycle in cycles:
        if cycle.push is not None:
            print_problems(out, cycle.push)
            failed |= cycle.push.outcome != "ok"
    if failed:
        raise typer.Exit(code=1)


def _export_table(reports: list[RunReport]) -> Table:
    table = Table(title="Order export")
    for column in ("store", "outcome", "exported", "credits", "failed", "parked", "flagged"):
        table.add_column(column, justify="left" if column in ("store", "outcome") else "right")
    for report in reports:
        table.add_row(
            escape(report.store),
            escape(report.outcome),
            *(str(report.counts.get(key, 0)) for key in ("exported", "credits", "failed")),
            str(report.counts.get("parked", 0)),
            str(report.counts.get("flagged", 0)),
        )
    return table


@app.command("export")
def export(store: StoreOption = None, config: ConfigOption = None) -> None:
    """Export completed orders (and refunds, cancellations) to the POS/ERP now."""
    out = console()
    reports: list[RunReport] = []
    with open_services(config) as services:
        for name in store_names(services, store):
            with store_lock(services, name, EXPORT_LOCK):
                reports.append(
                    run_engine(services, partial(export_orders, services, name), store=name)
                )
    out.print(_export_table(reports))
    for report in reports:
        print_problems(out, report)
        _print_go_live(out, report)
    if any(report.outcome != "ok" for report in reports):
        raise typer.Exit(code=1)


def _print_go_live(out: Console, report: RunReport) -> None:
    """Orders the go-live cutoff kept from the POS in this run, or held until it is known."""
    skipped = report.counts.get("skipped_before_go_live", 0)
    if skipped:
        out.print(
            f"  {escape(report.store)}: {skipped} order(s) created before go-live skipped "
            "(`storebridge orders list --status skipped`; `orders retry ID` exports one)"
        )
    waiting = report.counts.get("awaiting_go_live", 0)
    if waiting:
        out.print(
            f"  {escape(report.store)}: {waiting} order(s) wait for the first ledger refresh, which "
            "sets the go-live moment (`storebridge orders refresh`)"
        )


@app.command("list")
def list_command(
    store: StoreOption = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help=f"only exports in this state: {', '.join(_STATES)}"),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="rows listed at most")] = 500,
    config: ConfigOption = None,
) -> None:
    """List export records, most recent orders first."""
    if status is not None and status not in _STATES:
        raise fail(f"unknown state {status!r}; use one of {', '.join(_STATES)}")
    out = console()
    with open_services(config) as services:
        names = store_names(services, store)
        query = (
            select(Export, OrderRow)
            .join(
                OrderRow,
                (OrderRow.store == Export.store) & (OrderRow.woo_order_id == Export.woo_order_id),
            )
            .where(Export.store.in_(names))
            .order_by(OrderRow.date_modified_gmt.desc(), Export.woo_order_id.desc())
            .limit(limit)
        )
        if status == "parked":
            query = query.where(Export.state == "failed", Export.next_retry_at.is_(None))
        elif status == "failed":
            query = query.where(Export.state == "failed", Export.next_retry_at.is_not(None))
        elif status is not None:
            query = query.where(Export.state == status)
        try:
            with services.sessions() as session:
                rows = session.execute(query).tuples().all()
        except (OperationalError, ProgrammingError):
            raise _database_error(services) from None
    if not rows:
        out.print("no orders" if status is None else f"no orders in state {escape(status)}")
        return
    table = Table(title=f"Order exports ({len(rows)})")
    for column in ("store", "order", "number", "status", "export", "tries", "next try", "POS"):
        table.add_column(column, overflow="fold")
    table.add_column("error / note", overflow="fold")
    for export_row, order in rows:
        parked = export_row.state == "failed" and export_row.next_retry_at is None
        note = export_row.last_error or export_row.skip_reason or ", ".join(export_row.flags)
        table.add_row(
            escape(export_row.store),
            str(export_row.woo_order_id),
            escape(order.number),
            escape(order.status),
            "parked" if parked else export_row.state,
            str(export_row.attempts),
            "" if export_row.next_retry_at is None
            else export_row.next_retry_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            export_row.pos_ref or "",
            escape(note or ""),
        )  # fmt: skip
    out.print(table)


@app.command("retry")
def retry(order_id: OrderId, store: StoreOption = None, config: ConfigOption = None) -> None:
    """Try a failed, parked or skipped order (or its failed credits) again, now."""
    out = console()
    with open_services(config) as services:
        name = _one_store(services, store)
        with store_lock(services, name, EXPORT_LOCK):
            _change(services, partial(retry_export, store=name, order_id=order_id))
            work = partial(export_orders, services, name, order_ids=[order_id])
            report = run_engine(services, work, store=name)
        row = _export_state(services, name, order_id)
    out.print(escape(f"order {order_id} of store {name}: {row}"))
    print_problems(out, report)
    if report.outcome != "ok":
        raise typer.Exit(code=1)


def _change(services: Services, change: Callable[[Session], object]) -> None:
    """One change of an export record in its own transaction; a refusal ends the command."""
    try:
        with services.sessions.begin() as session:
            change(session)
    except ExportError as exc:
        raise fail(str(exc), code=1) from None
    except (OperationalError, ProgrammingError):
        raise _database_error(services) from None


def _export_state(services: Services, store: str, order_id: int) -> str:
    with services.sessions() as session:
        row = session.scalars(
            select(Export).where(Export.store == store, Export.woo_order_id == order_id)
        ).one()
        if row.state == "exported":
            return f"exported as {row.pos_ref}"
        if row.state == "failed":
            when = "parked" if row.next_retry_at is None else f"next try {row.next_retry_at}"
            return f"failed ({when}): {row.last_error}"
        return row.state


@app.command("skip")
def skip_command(
    order_id: OrderId,
    reason: Annotated[str, typer.Option("--reason", help="why (shown on the dashboard)")],
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Never export this order."""
    out = console()
    with open_services(config) as services:
        name = _one_store(services, store)
        _change(services, partial(skip_export, store=name, order_id=order_id, reason=reason))
    out.print(escape(f"order {order_id} of store {name}: skipped ({reason})"))


@app.command("resolve")
def resolve_command(
    order_id: OrderId, store: StoreOption = None, config: ConfigOption = None
) -> None:
    """Close the review of an order edited after export, once the POS document is corrected."""
    out = console()
    with open_services(config) as services:
        name = _one_store(services, store)
        _change(services, partial(resolve_review_export, store=name, order_id=order_id))
    out.print(escape(f"order {order_id} of store {name}: review closed, counted as exported"))
