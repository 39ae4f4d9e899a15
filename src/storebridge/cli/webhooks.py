"""`storebridge webhooks install|status|repair`: the store's order webhooks, through the REST API.

- ``status`` lists each topic the store needs (its ``webhook_topics``) and what
  is wrong with it; exit status 1 when any topic is not delivered here.
- ``install`` creates the missing webhooks (topic, delivery URL
  ``<public URL>/webhooks/woocommerce/<store>``, the store's ``webhook_secret``,
  API version wc/v3) and fixes the others: re-activates those WooCommerce
  disabled after failed deliveries, points stray ones at this StoreBridge.
  Running it again changes nothing.
- ``repair`` does the same and also sends the secret to every webhook again
  (WooCommerce never shows a secret back, so only a repair can be sure of it):
  after rotating ``webhook_secret``, or when deliveries are refused with 401.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from storebridge.bootstrap import Services
from storebridge.cli.doctor import PublicUrlOption
from storebridge.cli.sync import ConfigOption, StoreOption, console, open_services, run_engine
from storebridge.cli.sync import store_names as selected_stores
from storebridge.domain.webhook_subscriptions import Subscription
from storebridge.sync.setup.webhooks import install_webhooks, webhook_status

__all__ = ["app"]

app = typer.Typer(help="Install, check and repair the order webhooks of a store.")


def _show(out: Console, store: str, subscriptions: list[Subscription]) -> bool:
    """Print each topic's state; whether every topic is delivered here.

    Duplicates are shown as warnings but do not count: they deliver each event
    twice (processed once), and only the merchant deletes them.
    """
    out.print(f"[bold]store {escape(store)}[/]")
    for sub in subscriptions:
        mark = "[green]  ok  [/]" if sub.ok and not sub.duplicates else "[yellow] warn [/]"
        out.print(f"{mark} {escape(sub.describe())}")
    return all(sub.ok for sub in subscriptions)


#: What a subcommand does for one store: the changes it made (None: it changes nothing) and
#: the state of the store's webhooks afterwards.
StoreWork = Callable[
    [Services, str], Coroutine[Any, Any, tuple[list[str] | None, list[Subscription]]]
]


def _each_store(store: str | None, config: ConfigOption, work: StoreWork) -> None:
    """Run `work` for the selected stores; exit 1 unless every webhook ends up delivering."""
    out = console()
    healthy = True
    with open_services(config) as services:
        for name in selected_stores(services, store):
            changes, subscriptions = run_engine(services, partial(work, services, name), store=name)
            for line in [] if changes is None else changes or ["nothing to change"]:
                out.print(f"  {escape(line)}")
            healthy = _show(out, name, subscriptions) and healthy
    if not healthy:
        out.print("run [bold]storebridge webhooks install[/] to fix what is listed above")
        raise typer.Exit(code=1)


@app.command("status")
def status(
    store: StoreOption = None, public_url: PublicUrlOption = None, config: ConfigOption = None
) -> None:
    """Show whether each order webhook exists, is active and delivers here (changes nothing)."""

    async def work(services: Services, name: str) -> tuple[None, list[Subscription]]:
        return None, await webhook_status(services, name, public_url)

    _each_store(store, config, work)


def _install(
    store: str | None, public_url: str | None, config: ConfigOption, *, resend_secret: bool
) -> None:
    async def work(services: Services, name: str) -> tuple[list[str], list[Subscription]]:
        changes = await install_webhooks(services, name, public_url, resend_secret=resend_secret)
        return changes.applied, changes.after

    _each_store(store, config, work)


@app.command("install")
def install(
    store: StoreOption = None, public_url: PublicUrlOption = None, config: ConfigOption = None
) -> None:
    """Create the missing order webhooks and fix the others (idempotent)."""
    _install(store, public_url, config, resend_secret=False)


@app.command("repair")
def repair(
    store: StoreOption = None, public_url: PublicUrlOption = None, config: ConfigOption = None
) -> None:
    """Like install, and send the configured webhook secret to every webhook again."""
    _install(store, public_url, config, resend_secret=True)
