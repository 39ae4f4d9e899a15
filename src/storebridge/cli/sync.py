"""`storebridge sync products`: run the products engine now, with progress and a summary.

Also the small toolkit the other product commands (`plan`, `reconcile`,
`quarantine`) share: loading the configuration and the services, choosing the
stores, turning database and configuration problems into a sentence saying
what to do, and rendering a `RunReport` as a Rich table.  Commands only
parse, call the engine and render.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from storebridge.bootstrap import Services, build_services
from storebridge.cli.options import ConfigOption, StoreOption, load_or_exit
from storebridge.errors import ConfigError, StoreBridgeError
from storebridge.persistence.repositories.locks import job_lock
from storebridge.sync.catalogue.products import sync_products
from storebridge.sync.locks import CATALOG_LOCK
from storebridge.sync.report import RunReport
from storebridge.sync.runs import describe_error

__all__ = [
    "ConfigOption",
    "StoreOption",
    "app",
    "console",
    "fail",
    "open_services",
    "print_problems",
    "run_engine",
    "store_lock",
    "store_names",
    "summary_table",
]

app = typer.Typer(help="Run a sync job now.", no_args_is_help=True)

T = TypeVar("T")


def console() -> Console:
    """A console on the current stdout (created per command, so test runners capture it)."""
    return Console(width=max(100, Console().width), highlight=False, soft_wrap=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `message` as an error and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=code)


@contextmanager
def open_services(config: Path | None) -> Iterator[Services]:
    """Load the configuration and wire the services; configuration errors end the command."""
    services = build_services(load_or_exit(config))
    try:
        yield services
    finally:
        services.close()


def run_engine(
    services: Services, work: Callable[[], Coroutine[Any, Any, T]], *, store: str = "<name>"
) -> T:
    """Run an engine coroutine for `store`.

    A missing or unreachable database, or an error the engine did not turn into
    a report (WooCommerce or the POS unreachable, keys refused), ends the command
    with one line saying what to do, not a traceback.
    """
    storage = services.settings.storage
    try:
        return asyncio.run(work())
    except StoreBridgeError as exc:
        raise fail(describe_error(exc, store), code=1) from None
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise fail(
            f"cannot use the database {storage.display_url}: {reason}; if its tables are "
            "missing or old, run `storebridge db upgrade`"
        ) from None


def store_names(services: Services, store: str | None) -> list[str]:
    """The stores a command runs for; an unknown name ends the command."""
    try:
        return services.store_names(store)
    except ConfigError as exc:
        raise fail(str(exc)) from None


@contextmanager
def store_lock(services: Services, store: str, lock: str = CATALOG_LOCK) -> Iterator[None]:
    """Hold one of the store's job locks (shared with `storebridge run`) or end the command.

    Args:
        services: the wired application.
        store: the store name.
        lock: the lock's name; ``catalog`` guards every job writing products or stock.
    """
    holder = f"cli:{socket.gethostname()}:{os.getpid()}"
    what = "catalogue" if lock == CATALOG_LOCK else f"{lock} job"
    try:
        with job_lock(services.sessions, store=store, job=lock, holder=holder) as ok:
            if not ok:
                raise fail(
                    f"another StoreBridge process is working on the {what} of store {store!r}; "
                    "wait for it to finish and try again",
                    code=1,
                )
            yield
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise fail(
            f"cannot use the database {services.settings.storage.display_url}: {reason}; "
            "run `storebridge db upgrade` first"
        ) from None


_ROWS = (
    ("new drafts", "created"),
    ("adopted", "adopted"),
    ("updated", "updated"),
    ("stock zeroed (delisted)", "zeroed"),
    ("new variable products", "created_style"),
    ("their variations", "created_variation"),
    ("new variants", "added_variation"),
    ("failed", "failed"),
    ("parked", "parked"),
    ("broken links", "broken"),
    ("deleted products", "deleted"),
    ("conflicts", "conflict"),
)


def summary_table(reports: list[RunReport], title: str) -> Table:
    """One column per store: what the run did, its problems and its API requests."""
    table = Table(title=title)
    table.add_column("")
    for report in reports:
        table.add_column(escape(report.store), justify="right")
    table.add_row("outcome", *(escape(report.outcome) for report in reports))
    for label, key in _ROWS:
        table.add_row(label, *(str(report.counts.get(key, 0)) for report in reports))
    table.add_row(
        "waiting for a human",
        *(
            str(sum(v for k, v in report.counts.items() if k.startswith("waiting_")))
            for report in reports
        ),
    )
    table.add_row("quarantined rows", *(str(len(report.quarantined)) for report in reports))
    table.add_row(
        "requests (read/write)", *(f"{report.reads}/{report.writes}" for report in reports)
    )
    table.add_row("batches at once", *(report.concurrency_text for report in reports))
    return table


def print_problems(out: Console, report: RunReport, limit: int = 20) -> None:
    """The run's error and the items needing attention (first `limit`)."""
    if report.error:
        out.print(f"[bold red]{escape(f'{report.store}: {report.error}')}[/]")
    for problem in report.problems[:limit]:
        woo = f" (WooCommerce #{problem.woo_id})" if problem.woo_id else ""
        line = f"{report.store} {problem.kind}: {problem.sku}{woo}: {problem.detail}"
        out.print(f"  {escape(line)}")
    if len(report.problems) > limit:
        out.print(f"  ... and {len(report.problems) - limit} more")
    if report.quarantined:
        out.print(
            f"  {escape(report.store)}: {len(report.quarantined)} POS row(s) quarantined; "
            "see `storebridge quarantine list`"
        )


class _Bar:
    """Executor progress callbacks drawn as one Rich task per phase."""

    def __init__(self, progress: Progress, store: str) -> None:
        self.progress = progress
        self.store = store
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        task = self.tasks.get(phase)
        if task is None:
            task = self.progress.add_task(f"{escape(self.store)}: {phase}", total=total)
            self.tasks[phase] = task
        self.progress.update(task, completed=done, total=total)


@app.command("products")
def products(
    store: StoreOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="plan only: write nothing to WooCommerce")
    ] = False,
    retry_parked: Annotated[
        bool,
        typer.Option("--retry-parked", help="try parked items again (after fixing their cause)"),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Push new drafts, prices and stock from the POS/ERP to WooCommerce."""
    out = console()
    reports: list[RunReport] = []
    with open_services(config) as services:
        for name in store_names(services, store):
            if dry_run:
                run = run_engine(
                    services, partial(sync_products, services, name, dry_run=True), store=name
                )
                reports.append(run.report)
                continue
            with (
                store_lock(services, name),
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    console=out,
                    transient=True,
                ) as progress,
            ):
                bar = _Bar(progress, name)
                work = partial(
                    sync_products, services, name, progress=bar, retry_parked_items=retry_parked
                )
                run = run_engine(services, work, store=name)
            reports.append(run.report)
    title = "Products sync (dry run: nothing written)" if dry_run else "Products sync"
    out.print(summary_table(reports, title))
    for report in reports:
        print_problems(out, report)
    if any(report.outcome != "ok" for report in reports):
        raise typer.Exit(code=1)
