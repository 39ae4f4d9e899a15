"""The mapper between WooCommerce's JSON and the core's values (pure, no I/O).

WooCommerce answers with strings for money, naive-UTC ``*_gmt`` dates,
``manage_stock`` that may be the string ``"parent"`` and stock that may be a
float.  These functions read such objects (raw dicts from a page or a batch
answer, or the client's pydantic models) into `PosOwned` and `WooView`, the
shapes the planner compares, so that "what WooCommerce confirmed" is read in
exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from storebridge.domain.links import WooView
from storebridge.domain.ownership import PosOwned
from storebridge.persistence.repositories.links import Pushed, PushedPrices
from storebridge.woocommerce import Product, Variation, parse_gmt, parse_money

__all__ = [
    "OWNED_FIELDS",
    "VIEW_FIELDS",
    "owned_from_item",
    "owned_from_model",
    "owned_from_pushed",
    "pushed_of",
    "view_from_item",
    "view_from_model",
]

#: The POS-owned fields as WooCommerce returns them (for `_fields=` reads).
OWNED_FIELDS = (
    "regular_price",
    "sale_price",
    "date_on_sale_from_gmt",
    "date_on_sale_to_gmt",
    "manage_stock",
    "stock_quantity",
)
#: Everything planning needs to know about a product found by SKU.
VIEW_FIELDS = ("id", "sku", "type", "parent_id", "status", *OWNED_FIELDS)


def _stock(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(Decimal(value.strip()))
        except ArithmeticError:
            return None
    return None


def _date(value: object) -> datetime | None:
    try:
        return parse_gmt(value)
    except ValueError:
        return None


def owned_from_item(item: Mapping[str, Any]) -> PosOwned:
    """The POS-owned values a raw product or variation object holds."""
    manage = item.get("manage_stock") is True
    return PosOwned(
        regular_price=parse_money(item.get("regular_price")),
        sale_price=parse_money(item.get("sale_price")),
        sale_from=_date(item.get("date_on_sale_from_gmt")),
        sale_to=_date(item.get("date_on_sale_to_gmt")),
        manage_stock=manage,
        # Only a managed quantity is ours: an unmanaged one is null (or a stray 0).
        stock_quantity=_stock(item.get("stock_quantity")) if manage else None,
    )


def owned_from_model(model: Product | Variation) -> PosOwned:
    """`owned_from_item` for the client's typed models."""
    manage = model.manage_stock is True
    return PosOwned(
        regular_price=model.regular_price,
        sale_price=model.sale_price,
        sale_from=model.date_on_sale_from_gmt,
        sale_to=model.date_on_sale_to_gmt,
        manage_stock=manage,
        stock_quantity=_stock(model.stock_quantity) if manage else None,
    )


def view_from_item(item: Mapping[str, Any]) -> WooView:
    """A raw product (or variation rendered as a product) as the planner sees it."""
    parent = item.get("parent_id")
    return WooView(
        id=int(item["id"]),
        sku=str(item.get("sku") or ""),
        type=str(item.get("type") or "simple"),
        parent_id=parent if isinstance(parent, int) and parent > 0 else None,
        status=str(item.get("status") or ""),
        owned=owned_from_item(item),
    )


def view_from_model(product: Product) -> WooView:
    """`view_from_item` for the client's `Product` model."""
    return WooView(
        id=product.id,
        sku=product.sku or "",
        type=product.type,
        parent_id=product.parent_id or None,
        status=product.status,
        owned=owned_from_model(product),
    )


def pushed_of(owned: PosOwned) -> Pushed:
    """The link-table record of values WooCommerce confirmed holding."""
    return Pushed(
        prices=PushedPrices(owned.regular_price, owned.sale_price, owned.sale_from, owned.sale_to),
        stock=owned.stock_quantity if owned.manage_stock else None,
    )


def owned_from_pushed(
    regular: Decimal | None,
    sale: Decimal | None,
    sale_from: datetime | None,
    sale_to: datetime | None,
    stock: int | None,
    pushed: bool,
) -> PosOwned | None:
    """The link's last-pushed values as the planner compares them; None if never pushed.

    The link table has no ``manage_stock`` column: StoreBridge always pushes a
    managed quantity, so a stored quantity means ``manage_stock`` was true.
    """
    if not pushed:
        return None
    return PosOwned(regular, sale, sale_from, sale_to, stock is not None, stock)
