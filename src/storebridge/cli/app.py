"""The root Typer application.

Each command group lives in its own module and is registered here, so this
file stays a table of contents of the CLI.
"""

from __future__ import annotations

from typing import Annotated

import typer

from storebridge import __version__
from storebridge.runner.logs import LogFormat, select_format

app = typer.Typer(
    name="storebridge",
    help="Keep a POS/ERP and a WooCommerce store in step.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)


@app.callback()
def root(
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            envvar="STOREBRIDGE_LOG_FORMAT",
            case_sensitive=False,
            help="log lines of run, worker and demo: text, or json (one object a line)",
        ),
    ] = LogFormat.text,
) -> None:
    """Keep a POS/ERP and a WooCommerce store in step."""
    select_format(log_format)


@app.command()
def version() -> None:
    """Print the StoreBridge version."""
    typer.echo(__version__)


# Command groups register below (one import + add per group).
from storebridge.cli import db as _db  # noqa: E402
from storebridge.cli import demo as _demo  # noqa: E402
from storebridge.cli import doctor as _doctor  # noqa: E402
from storebridge.cli import init as _init  # noqa: E402
from storebridge.cli import orders as _orders  # noqa: E402
from storebridge.cli import plan as _plan  # noqa: E402
from storebridge.cli import quarantine as _quarantine  # noqa: E402
from storebridge.cli import reconcile as _reconcile  # noqa: E402
from storebridge.cli import run as _run  # noqa: E402
from storebridge.cli import sandbox as _sandbox  # noqa: E402
from storebridge.cli import sync as _sync  # noqa: E402
from storebridge.cli import user as _user  # noqa: E402
from storebridge.cli import webhooks as _webhooks  # noqa: E402

app.command("init")(_init.init)
app.command("doctor")(_doctor.doctor)
app.add_typer(_db.app, name="db")
app.add_typer(_sandbox.app, name="sandbox")
app.command("plan")(_plan.plan)
app.add_typer(_sync.app, name="sync")
app.command("reconcile")(_reconcile.reconcile)
app.add_typer(_quarantine.app, name="quarantine")
app.add_typer(_orders.app, name="orders")
app.command("run")(_run.run)
app.command("worker")(_run.worker)
app.add_typer(_user.app, name="user")
app.add_typer(_webhooks.app, name="webhooks")
app.command("demo")(_demo.demo)


def main() -> None:
    """Console-script entry point."""
    app()
