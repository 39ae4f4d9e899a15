"""`storebridge plan`: show what a products run would change, writing nothing.

It reads the POS and WooCommerce (to find products to adopt) exactly as a
products run does, then prints the plan: counts per kind of change and the
first changes of each kind, with the fields that would be sent.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from storebridge.cli.sync import (
    ConfigOption,
    StoreOption,
    console,
    open_services,
    print_problems,
    run_engine,
    store_names,
)
from storebridge.domain.operations import (
    AddVariation,
    Adopt,
    AdoptStyle,
    CreateVariableStyle,
    Plan,
    ZeroStock,
)
from storebridge.domain.ownership import Payload
from storebridge.sync.catalogue.products import plan_products

__all__ = ["plan"]

_KINDS = (
    ("create", "new drafts"),
    ("adopt", "existing products to link"),
    ("adopt_style", "existing variable products to link"),
    ("update", "price/stock updates"),
    ("zero_stock", "delisted: stock to 0"),
    ("create_style", "new variable products"),
    ("create_variation", "their variations"),
    ("add_variation", "new variants of known styles"),
    ("skip_broken", "links waiting for a human"),
    ("conflict", "SKU conflicts"),
    ("unchanged", "unchanged"),
    ("left_alone", "left alone"),
)


def _fields(payload: Payload) -> str:
    shown = ("regular_price", "sale_price", "stock_quantity", "manage_stock")
    parts = [f"{key}={payload[key]!r}" for key in shown if key in payload]
    parts += [key for key in payload if key.startswith("date_on_sale")]
    return ", ".join(parts) or "nothing to send"


def _lines(the_plan: Plan, sku_of: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for create in the_plan.creates:
        lines.append(
            f"create draft {create.sku}: {create.payload.get('name')!r}, {_fields(create.payload)}"
        )
    for adopt in the_plan.adopts:
        if isinstance(adopt, Adopt):
            lines.append(
                f"adopt {adopt.sku} (WooCommerce #{adopt.woo_id}): {_fields(adopt.payload)}"
            )
        elif isinstance(adopt, AdoptStyle):
            lines.append(f"adopt variable product {adopt.style_code} (#{adopt.woo_id})")
    for update in the_plan.updates:
        verb = "zero stock of" if isinstance(update, ZeroStock) else "update"
        sku = sku_of.get(update.sku_key, update.sku_key)
        lines.append(f"{verb} {sku} (#{update.woo_id}): {_fields(update.payload)}")
    for op in the_plan.variable_creates:
        if isinstance(op, CreateVariableStyle):
            skus = ", ".join(v.sku for v in op.variations)
            lines.append(f"create variable product {op.style_code} with variations {skus}")
        elif isinstance(op, AddVariation):
            lines.append(f"add variation {op.variation.sku} to variable product #{op.parent_id}")
    return lines


def _counts(the_plan: Plan) -> Table:
    table = Table(title="Plan")
    table.add_column("change")
    table.add_column("items", justify="right")
    summary = the_plan.summary()
    for key, label in _KINDS:
        table.add_row(label, str(summary.get(key, 0)))
    return table


def _show(out: Console, store: str, the_plan: Plan, limit: int) -> None:
    out.print(f"[bold]store {escape(store)}[/]")
    out.print(_counts(the_plan))
    sku_of = {op.sku_key: op.sku for op in the_plan.creates}
    lines = _lines(the_plan, sku_of)
    for line in lines[:limit]:
        out.print(f"  {escape(line)}")
    if len(lines) > limit:
        out.print(f"  ... and {len(lines) - limit} more (raise --limit to see them)")
    if the_plan.is_empty:
        out.print("  nothing to write: WooCommerce is up to date")


def plan(
    store: StoreOption = None,
    limit: Annotated[int, typer.Option("--limit", help="changes listed per store")] = 50,
    config: ConfigOption = None,
) -> None:
    """Show what `storebridge sync products` would change (writes nothing)."""
    out = console()
    failed = False
    with open_services(config) as services:
        for name in store_names(services, store):
            run = run_engine(services, partial(plan_products, services, name), store=name)
            if run.plan is not None:
                _show(out, name, run.plan, limit)
            for warning in run.warnings:
                out.print(f"[yellow]  {name} warning: {warning}[/]")
            print_problems(out, run.report)
            failed = failed or run.report.error is not None
    if failed:
        raise typer.Exit(code=1)
