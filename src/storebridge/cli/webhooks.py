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

from functools import partial

import typer
from rich.console import Console
from rich.markup import escape

from storebridge.cli.doctor import PublicUrlOption
from storebridge.cli.sync import ConfigOption, StoreOption, console, open_services, run_engine
from storebridge.cli.sync import store_names as selected_stores
from storebridge.domain.webhook_subscriptions import Subscription
from storebridge.sync.setup.webhooks import install_webhooks, webhook_status

__all__ = ["app"]

app = typer.Typer(help="Install, check and repair the order webhooks of a store.")


def _show(out: Console, store: str, subscriptions: list[Subscription]) -> bool:
    """Print each topic's state; whether all are fine."""
    out.print(f"[bold]store {escape(store)}[/]")
    for sub in subscriptions:
        mark = "[green]  ok  [/]" if sub.ok and not sub.duplicates else "[yellow] warn [/]"
        out.print(f"{mark} {escape(sub.describe())}")
    return all(sub.ok and not sub.duplicates for sub in subscriptions)


@app.command("status")
def status(
    store: StoreOption = None, public_url: PublicUrlOption = None, config: ConfigOption = None
) -> None:
    """Show whether each order webhook exists, is active and delivers here (changes nothing)."""
    out = console()
    healthy = True
    with open_services(config) as services:
        for name in selected_stores(services, store):
            subs = run_engine(
                services, partial(webhook_status, services, name, public_url), store=name
            )
            healthy = _show(out, name, subs) and healthy
    if not healthy:
        out.print("run [bold]storebridge webhooks install[/] to fix what is listed above")
        raise typer.Exit(code=1)


def _install(
    store: str | None, public_url: str | None, config: ConfigOption, *, resend_secret: bool
) -> None:
    out = console()
    healthy = True
    with open_services(config) as services:
        for name in selected_stores(services, store):
            work = partial(
                install_webhooks, services, name, public_url, resend_secret=resend_secret
            )
            changes = run_engine(services, work, store=name)
            for line in changes.applied or ["nothing to change"]:
                out.print(f"  {escape(line)}")
            healthy = _show(out, name, changes.after) and healthy
    if not healthy:
        raise typer.Exit(code=1)


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
