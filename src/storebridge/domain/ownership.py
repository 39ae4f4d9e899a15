"""Field ownership (design.md §2): the one module that decides payload fields.

Every WooCommerce product write StoreBridge makes is built here, so the rule
"created once, then merchant-owned" lives in one place:

* **create-once fields** (`CREATE_ONCE_KEYS`): name, type, status (always
  ``draft``), descriptions, weight, categories, attributes.  They appear only
  in the create payloads.
* **POS-owned fields** (`POS_OWNED_KEYS`): regular and sale price, the sale
  window, ``manage_stock`` and ``stock_quantity``.  They are created and then
  kept in sync, and `update_payload` sends only those that changed since the
  last push: an idle cycle writes nothing.
* **the glue**: ``sku``, sent at creation and never changed by us.

Wire formats follow woocommerce-rest-api.md §2.8 and §3.3: prices are
strings with two decimals, ``""`` clears a sale price or a sale date, and sale
dates are sent as naive UTC in the ``*_gmt`` fields, which WooCommerce reads
as UTC whatever the site's time zone (the non-GMT twins would be read in the
site's zone).  Categories are sent by id only: WooCommerce silently ignores a
category given by name (golden 001).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from storebridge.domain.model import CENT, PosItem

__all__ = [
    "CREATE_ONCE_KEYS",
    "POS_OWNED_KEYS",
    "Payload",
    "PosOwned",
    "create_payload",
    "create_variable_parent_payload",
    "create_variation_payload",
    "merge_parent_attributes",
    "pos_owned_wire",
    "sync_fields",
    "update_payload",
]

#: A JSON object ready for the WooCommerce client.
Payload = dict[str, object]

SALE_FROM_KEY = "date_on_sale_from_gmt"
SALE_TO_KEY = "date_on_sale_to_gmt"

#: Keys StoreBridge keeps in sync after creation, in the order they are sent.
POS_OWNED_KEYS = (
    "regular_price",
    "sale_price",
    SALE_FROM_KEY,
    SALE_TO_KEY,
    "manage_stock",
    "stock_quantity",
)

#: Keys sent only when a product is created; the merchant owns them afterwards.
CREATE_ONCE_KEYS = frozenset(
    {
        "name",
        "type",
        "status",
        "description",
        "short_description",
        "weight",
        "categories",
        "attributes",
        "images",
    }
)


@dataclass(frozen=True, slots=True)
class PosOwned:
    """The POS-owned values of one product or variation.

    StoreBridge's desired values always have a regular price and a stock
    quantity; `None` there appears only when describing what WooCommerce
    currently holds (no price set, stock not managed) or a link whose pushed
    prices are unknown.
    """

    regular_price: Decimal | None
    sale_price: Decimal | None
    sale_from: datetime | None
    sale_to: datetime | None
    manage_stock: bool
    stock_quantity: int | None


def sync_fields(item: PosItem, available: int) -> PosOwned:
    """The values StoreBridge wants WooCommerce to hold for `item`."""
    has_sale = item.sale_price is not None
    return PosOwned(
        regular_price=item.regular_price,
        sale_price=item.sale_price,
        # A sale window without a sale price means nothing to WooCommerce.
        sale_from=item.sale_from if has_sale else None,
        sale_to=item.sale_to if has_sale else None,
        manage_stock=True,
        stock_quantity=max(0, available),
    )


def pos_owned_wire(owned: PosOwned) -> Payload:
    """All six POS-owned keys as WooCommerce expects them (``""`` = not set)."""
    return {
        "regular_price": _price(owned.regular_price),
        "sale_price": _price(owned.sale_price),
        SALE_FROM_KEY: _when(owned.sale_from),
        SALE_TO_KEY: _when(owned.sale_to),
        "manage_stock": owned.manage_stock,
        "stock_quantity": owned.stock_quantity,
    }


def update_payload(desired: PosOwned, last_pushed: PosOwned | None) -> Payload:
    """Only the POS-owned keys whose wire value differs from what was last pushed.

    An empty dict means nothing to do.  With no record of a previous push
    every key is sent, including ``""`` for an absent sale so that a stale
    sale in WooCommerce is cleared.
    """
    if last_pushed is None:
        return pos_owned_wire(desired)
    payload: Payload = {}
    for key, attribute, render in _WIRE_FIELDS:
        wanted = getattr(desired, attribute)
        before = getattr(last_pushed, attribute)
        # Equal values always render alike; unequal ones may still (20.001 vs 20.00).
        if wanted != before and (value := render(wanted)) != render(before):
            payload[key] = value
    return payload


def create_payload(
    item: PosItem, available: int, category_ids: Mapping[str, int] | None = None
) -> Payload:
    """A simple product, created as a draft with every field we know.

    Args:
        item: the validated POS item.
        available: the quantity to publish (allocation result).
        category_ids: category name -> WooCommerce id; names without an id
            are left out (the merchant files the draft).
    """
    payload: Payload = {
        "name": item.name,
        "type": "simple",
        "status": "draft",
        "sku": item.sku,
    }
    payload.update(_sync_keys_for_create(sync_fields(item, available)))
    payload.update(_descriptive(item, category_ids))
    return payload


def create_variation_payload(item: PosItem, available: int) -> Payload:
    """One variation of a variable product (created under its parent)."""
    payload: Payload = {"sku": item.sku}
    payload.update(_sync_keys_for_create(sync_fields(item, available)))
    if item.weight is not None:
        payload["weight"] = _decimal_text(item.weight)
    payload["attributes"] = [{"name": name, "option": value} for name, value in item.attributes]
    return payload


def create_variable_parent_payload(
    style_code: str,
    name: str,
    attributes: Mapping[str, Sequence[str]],
    *,
    description: str | None = None,
    short_description: str | None = None,
    categories: Sequence[str] = (),
    category_ids: Mapping[str, int] | None = None,
) -> Payload:
    """A variable product (draft): attributes used for variations, no price, no stock.

    WooCommerce clears prices on variable products anyway (§3.3); stock is kept
    per variation.
    """
    payload: Payload = {
        "name": name,
        "type": "variable",
        "status": "draft",
        "sku": style_code,
        "attributes": [
            {"name": attr, "options": list(options), "variation": True, "visible": True}
            for attr, options in attributes.items()
        ],
    }
    if description:
        payload["description"] = description
    if short_description:
        payload["short_description"] = short_description
    ids = _category_refs(categories, category_ids)
    if ids:
        payload["categories"] = ids
    return payload


def merge_parent_attributes(
    current: Sequence[Mapping[str, object]], add: Mapping[str, Sequence[str]]
) -> Payload | None:
    """The update that adds missing attribute options to a variable parent, or None.

    WooCommerce replaces a product's whole attribute list on write, so the
    engine reads the parent's current `attributes` and sends them back with
    only the new options appended; everything the merchant set (order,
    visibility, other attributes, option order) is kept.  Attribute names
    and options are matched ignoring case.
    """
    merged: list[dict[str, object]] = [dict(entry) for entry in current]
    by_name = {str(entry.get("name", "")).casefold(): entry for entry in merged}
    changed = False
    for attr, options in add.items():
        entry = by_name.get(attr.casefold())
        if entry is None:
            entry = {"name": attr, "options": [], "variation": True, "visible": True}
            merged.append(entry)
            by_name[attr.casefold()] = entry
            changed = True
        existing = entry.get("options")
        present = [str(o) for o in existing] if isinstance(existing, list) else []
        known = {o.casefold() for o in present}
        for option in options:
            if option.casefold() not in known:
                present.append(option)
                known.add(option.casefold())
                changed = True
        entry["options"] = present
        if entry.get("variation") is not True:
            entry["variation"] = True
            changed = True
    return {"attributes": merged} if changed else None


def _sync_keys_for_create(owned: PosOwned) -> Payload:
    # A fresh product has no sale to clear, so empty values are left out.
    return {key: value for key, value in pos_owned_wire(owned).items() if value != ""}


def _descriptive(item: PosItem, category_ids: Mapping[str, int] | None) -> Payload:
    payload: Payload = {}
    if item.description:
        payload["description"] = item.description
    if item.short_description:
        payload["short_description"] = item.short_description
    if item.weight is not None:
        payload["weight"] = _decimal_text(item.weight)
    ids = _category_refs(item.categories, category_ids)
    if ids:
        payload["categories"] = ids
    return payload


def _category_refs(
    names: Sequence[str], category_ids: Mapping[str, int] | None
) -> list[dict[str, int]]:
    if not category_ids or not names:
        return []
    refs: list[dict[str, int]] = []
    seen: set[int] = set()
    for name in names:
        category_id = category_ids.get(name)
        if category_id is None:
            category_id = category_ids.get(name.strip().casefold())
        if category_id is not None and category_id not in seen:
            seen.add(category_id)
            refs.append({"id": category_id})
    return refs


def _price(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f")


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    # Naive values are UTC by the core's convention (never the machine's zone).
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S")


def _as_is(value: object) -> object:
    return value


_WIRE_FIELDS: tuple[tuple[str, str, Callable[[Any], object]], ...] = (
    ("regular_price", "regular_price", _price),
    ("sale_price", "sale_price", _price),
    (SALE_FROM_KEY, "sale_from", _when),
    (SALE_TO_KEY, "sale_to", _when),
    ("manage_stock", "manage_stock", _as_is),
    ("stock_quantity", "stock_quantity", _as_is),
)


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")
