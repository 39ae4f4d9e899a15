"""Derived product values: on-sale state, active price, stock status, price HTML.

Pure functions over stored product documents. WooCommerce stores `_price`
at save time and lets a daily cron catch up with sale windows; the sandbox
evaluates the window at read time, i.e. as if that cron ran instantly.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from storebridge.sandbox.clock import from_stored
from storebridge.sandbox.formatting import to_decimal, wc_price

Doc = dict[str, Any]


def is_on_sale(doc: Doc, now: datetime) -> bool:
    """WC_Product::is_on_sale: a sale price below the regular one, inside its window."""
    sale = doc.get("sale_price", "")
    if sale == "" or not to_decimal(doc.get("regular_price", "")) > to_decimal(sale):
        return False
    starts = from_stored(doc.get("date_on_sale_from"))
    ends = from_stored(doc.get("date_on_sale_to"))
    if starts is not None and starts > now:
        return False
    return not (ends is not None and ends < now)


def active_price(doc: Doc, now: datetime) -> str:
    """The `price` field of a simple product or a variation."""
    if is_on_sale(doc, now):
        return str(doc["sale_price"])
    return str(doc.get("regular_price", ""))


def stock_status_after_save(doc: Doc) -> str:
    """validate_props(): the stock status a managed product gets on save."""
    if not doc.get("manage_stock"):
        return str(doc.get("stock_status") or "instock")
    quantity = doc.get("stock_quantity") or 0
    if quantity > 0:
        return "instock"
    if doc.get("backorders", "no") != "no":
        return "onbackorder"
    return "outofstock"


def children_stock_status(statuses: list[str]) -> str:
    """A variable parent's status when it does not manage stock itself."""
    if "instock" in statuses:
        return "instock"
    if "onbackorder" in statuses:
        return "onbackorder"
    return "outofstock"


def sale_price_html(regular: str, sale: str) -> str:
    """wc_format_sale_price() for USD."""
    reg = f"{to_decimal(regular):.2f}"
    now_price = f"{to_decimal(sale):.2f}"
    return (
        f'<del aria-hidden="true">{wc_price(regular)}</del> '
        f'<span class="screen-reader-text">Original price was: &#036;{reg}.</span>'
        f'<ins aria-hidden="true">{wc_price(sale)}</ins>'
        f'<span class="screen-reader-text">Current price is: &#036;{now_price}.</span>'
    )


def price_html(doc: Doc, now: datetime) -> str:
    """get_price_html() of a simple product or a variation."""
    price = active_price(doc, now)
    if price == "":
        return ""
    if is_on_sale(doc, now):
        return sale_price_html(str(doc["regular_price"]), price)
    return wc_price(price)


def range_price_html(prices: list[str], regulars: list[str], on_sale: bool) -> str:
    """A variable product's price HTML from its children's prices."""
    if not prices:
        return ""
    low = min(prices, key=to_decimal)
    high = max(prices, key=to_decimal)
    if to_decimal(low) != to_decimal(high):
        low_text = f"{to_decimal(low):.2f}"
        high_text = f"{to_decimal(high):.2f}"
        return (
            f"{wc_price(low, aria_hidden=True)} "
            '<span aria-hidden="true">&ndash;</span> '
            f"{wc_price(high, aria_hidden=True)}"
            f'<span class="screen-reader-text">Price range: &#36;{low_text} '
            f"through &#36;{high_text}</span>"
        )
    if on_sale and regulars:
        return sale_price_html(min(regulars, key=to_decimal), low)
    return wc_price(low)


def lowest(prices: list[str]) -> str:
    """The lowest of some price strings ("" when there are none)."""
    return min(prices, key=to_decimal) if prices else ""


def as_number(price: str) -> float | None:
    """The sortable number kept in the `price_num` column."""
    return float(Decimal(to_decimal(price))) if price != "" else None
