"""How a product or variation payload changes a stored document.

This is WooCommerce's `prepare_object_for_database` plus `validate_props`:
absent fields are left alone, prices are strings cleaned like
`wc_format_decimal`, a sale price above the regular price is dropped, stock
fields follow `manage_stock`, and variable/grouped parents carry no price.
SKU uniqueness needs the database, so `ProductStore` handles `sku` itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from storebridge.sandbox.clock import parse_wp_date, stored
from storebridge.sandbox.formatting import format_decimal_input, sanitize_title, to_decimal
from storebridge.sandbox.pricing import stock_status_after_save
from storebridge.sandbox.schema import Arg

Doc = dict[str, Any]

PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future", "auto-draft", "trash")
PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
BACKORDERS = ("no", "notify", "yes")

_DATES = ("date_on_sale_from", "date_on_sale_to")

PRODUCT_ARGS: dict[str, Arg] = {
    "name": Arg("string"),
    "slug": Arg("string"),
    "type": Arg("string", enum=PRODUCT_TYPES),
    "status": Arg("string", enum=PRODUCT_STATUSES),
    "featured": Arg("boolean"),
    "catalog_visibility": Arg("string", enum=("visible", "catalog", "search", "hidden")),
    "description": Arg("string"),
    "short_description": Arg("string"),
    "sku": Arg("string"),
    "regular_price": Arg("string"),
    "sale_price": Arg("string"),
    "date_on_sale_from": Arg(("null", "string")),
    "date_on_sale_from_gmt": Arg(("null", "string")),
    "date_on_sale_to": Arg(("null", "string")),
    "date_on_sale_to_gmt": Arg(("null", "string")),
    "virtual": Arg("boolean"),
    "downloadable": Arg("boolean"),
    "tax_status": Arg("string", enum=("taxable", "shipping", "none")),
    "manage_stock": Arg("boolean"),
    "stock_quantity": Arg("integer"),
    "stock_status": Arg("string", enum=STOCK_STATUSES),
    "backorders": Arg("string", enum=BACKORDERS),
    "low_stock_amount": Arg(("null", "integer")),
    "sold_individually": Arg("boolean"),
    "reviews_allowed": Arg("boolean"),
    "parent_id": Arg("integer"),
    "menu_order": Arg("integer"),
    "categories": Arg("array"),
    "tags": Arg("array"),
    "images": Arg("array"),
    "attributes": Arg("array"),
    "default_attributes": Arg("array"),
    "meta_data": Arg("array"),
    "upsell_ids": Arg("array", items=Arg("integer")),
    "cross_sell_ids": Arg("array", items=Arg("integer")),
}

VARIATION_ARGS: dict[str, Arg] = {
    key: PRODUCT_ARGS[key]
    for key in (
        "description",
        "sku",
        "regular_price",
        "sale_price",
        "date_on_sale_from",
        "date_on_sale_from_gmt",
        "date_on_sale_to",
        "date_on_sale_to_gmt",
        "virtual",
        "downloadable",
        "tax_status",
        "manage_stock",
        "stock_quantity",
        "stock_status",
        "backorders",
        "low_stock_amount",
        "menu_order",
        "attributes",
        "meta_data",
    )
} | {"status": Arg("string", enum=("draft", "pending", "private", "publish"))}

_TEXT_FIELDS = (
    "name",
    "description",
    "short_description",
    "purchase_note",
    "post_password",
    "external_url",
    "button_text",
    "tax_class",
    "weight",
    "shipping_class",
    "global_unique_id",
)
_BOOL_FIELDS = ("featured", "virtual", "downloadable", "sold_individually", "reviews_allowed")
_INT_FIELDS = ("parent_id", "menu_order")


class IdSource(Protocol):
    """Where new meta and attachment ids come from."""

    def next_id(self, name: str) -> int:
        """Reserve one id of a sequence."""
        ...


class TermResolver(Protocol):
    """Turns category/tag references into ids."""

    def resolve_categories(self, refs: list[Any]) -> list[int]:
        """Existing category ids."""
        ...

    def resolve_tags(self, refs: list[Any]) -> list[int]:
        """Tag ids, creating tags given by a new name."""
        ...


def new_product_doc(now: datetime, *, variation: bool = False) -> Doc:
    """The defaults of a product (or variation) before its payload is applied."""
    when = stored(now)
    return {
        "name": "",
        "slug": "",
        "type": "variation" if variation else "simple",
        "status": "publish",
        "featured": False,
        "catalog_visibility": "visible",
        "description": "",
        "short_description": "",
        "sku": "",
        "global_unique_id": "",
        "regular_price": "",
        "sale_price": "",
        "date_on_sale_from": None,
        "date_on_sale_to": None,
        "total_sales": 0,
        "tax_status": "taxable",
        "tax_class": "parent" if variation else "",
        "manage_stock": False,
        "stock_quantity": None,
        "stock_status": "instock",
        "backorders": "no",
        "low_stock_amount": None,
        "sold_individually": False,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "reviews_allowed": not variation,
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": 0,
        "purchase_note": "",
        "category_ids": [],
        "tag_ids": [],
        "images": [],
        "image": None,
        "attributes": [],
        "default_attributes": [],
        "menu_order": 0,
        "meta_data": [],
        "post_password": "",
        "virtual": False,
        "downloadable": False,
        "external_url": "",
        "button_text": "",
        "date_created": when,
        "date_modified": when,
    }


def apply_fields(
    doc: Doc, payload: dict[str, Any], *, ids: IdSource, terms: TermResolver | None, now: datetime
) -> None:
    """Copy the writable fields of `payload` onto `doc` (everything but the SKU)."""
    for key in _TEXT_FIELDS:
        if key in payload and payload[key] is not None:
            doc[key] = str(payload[key])
    for key in _BOOL_FIELDS:
        if key in payload:
            doc[key] = _truthy(payload[key])
    for key in _INT_FIELDS:
        if key in payload and payload[key] not in (None, ""):
            doc[key] = int(payload[key])
    if "slug" in payload:
        doc["slug"] = sanitize_title(str(payload["slug"] or ""))
    if "type" in payload and payload["type"] in PRODUCT_TYPES and doc["type"] != "variation":
        doc["type"] = payload["type"]
    if "status" in payload:
        # An unknown status is saved as draft (schema validation stops it before, except
        # in batch items, which WooCommerce does not validate).
        doc["status"] = payload["status"] if payload["status"] in PRODUCT_STATUSES else "draft"
        if doc["status"] == "future" and not payload.get("date_created"):
            # wp_insert_post publishes a "future" post whose date is not ahead (golden 203).
            doc["status"] = "publish"
    for key, allowed in (
        ("catalog_visibility", ("visible", "catalog", "search", "hidden")),
        ("tax_status", ("taxable", "shipping", "none")),
        ("stock_status", STOCK_STATUSES),
        ("backorders", BACKORDERS),
    ):
        if key in payload and payload[key] in allowed:
            doc[key] = payload[key]
    for key in ("regular_price", "sale_price"):
        if key in payload:
            doc[key] = format_decimal_input(payload[key])
    for key in _DATES:
        for field in (key, f"{key}_gmt"):
            if field in payload:
                doc[key] = _date_value(payload[field])
    if isinstance(payload.get("dimensions"), dict):
        for side in ("length", "width", "height"):
            if side in payload["dimensions"]:
                doc["dimensions"][side] = str(payload["dimensions"][side])
    for key in ("upsell_ids", "cross_sell_ids"):
        if isinstance(payload.get(key), list):
            doc[key] = [int(value) for value in payload[key]]
    _apply_stock_fields(doc, payload)
    if terms is not None and isinstance(payload.get("categories"), list):
        doc["category_ids"] = terms.resolve_categories(payload["categories"])
    if terms is not None and isinstance(payload.get("tags"), list):
        doc["tag_ids"] = terms.resolve_tags(payload["tags"])
    if isinstance(payload.get("images"), list):
        doc["images"] = [_image(item, ids, now) for item in payload["images"] if item]
    if isinstance(payload.get("image"), dict):
        doc["image"] = _image(payload["image"], ids, now)
    if isinstance(payload.get("attributes"), list) and doc["type"] != "variation":
        doc["attributes"] = [
            _attribute(item, index)
            for index, item in enumerate(payload["attributes"])
            if isinstance(item, dict)
        ]
    if isinstance(payload.get("default_attributes"), list):
        doc["default_attributes"] = [
            {"id": int(a.get("id") or 0), "name": str(a.get("name", "")), "option": a.get("option")}
            for a in payload["default_attributes"]
            if isinstance(a, dict)
        ]
    if isinstance(payload.get("meta_data"), list):
        upsert_meta(doc["meta_data"], payload["meta_data"], ids)


def normalise(doc: Doc) -> None:
    """validate_props() and the per-type rules applied on every save."""
    if doc["type"] in ("variable", "grouped"):
        doc["regular_price"] = ""
        doc["sale_price"] = ""
        doc["date_on_sale_from"] = None
        doc["date_on_sale_to"] = None
    if doc["type"] == "grouped":
        doc["manage_stock"] = False
    if doc["type"] == "external":
        doc["manage_stock"] = False
        doc["stock_status"] = "instock"
    sale, regular = doc["sale_price"], doc["regular_price"]
    if sale != "" and regular != "" and to_decimal(sale) > to_decimal(regular):
        # Golden 019: a sale price above the regular price is silently dropped.
        doc["sale_price"] = ""
    if not doc["manage_stock"]:
        doc["stock_quantity"] = None
        doc["backorders"] = "no"
        doc["low_stock_amount"] = None
    doc["stock_status"] = stock_status_after_save(doc)


def upsert_meta(meta: list[Doc], entries: list[Any], ids: IdSource) -> None:
    """meta_data writes update by id or key and append new keys; nothing is removed."""
    for entry in entries:
        if not isinstance(entry, dict) or "key" not in entry:
            continue
        key, value = str(entry["key"]), entry.get("value")
        target = None
        if entry.get("id") is not None:
            target = next((m for m in meta if m["id"] == int(entry["id"])), None)
        if target is None:
            target = next((m for m in meta if m["key"] == key), None)
        if target is None:
            meta.append({"id": ids.next_id("meta"), "key": key, "value": value})
        else:
            target["key"], target["value"] = key, value


def _apply_stock_fields(doc: Doc, payload: dict[str, Any]) -> None:
    if "manage_stock" in payload:
        doc["manage_stock"] = _truthy(payload["manage_stock"])
    if "stock_quantity" in payload and doc["manage_stock"]:
        doc["stock_quantity"] = _stock_amount(payload["stock_quantity"])
    elif "inventory_delta" in payload and doc["manage_stock"]:
        doc["stock_quantity"] = (doc["stock_quantity"] or 0) + _stock_amount(
            payload["inventory_delta"]
        )
    if "low_stock_amount" in payload and doc["manage_stock"]:
        value = payload["low_stock_amount"]
        # absint(): -1 is stored as 1 (golden 202).
        doc["low_stock_amount"] = None if value in (None, "") else abs(int(value))


def _stock_amount(value: Any) -> int:
    """wc_stock_amount(): an integer, whatever was sent ("5" -> 5)."""
    if value in (None, ""):
        return 0
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _truthy(value: Any) -> bool:
    """wc_string_to_bool()."""
    if isinstance(value, str):
        return value.lower() in ("1", "yes", "true", "on")
    return bool(value)


def _date_value(value: Any) -> str | None:
    if value in (None, ""):
        return None
    moment = parse_wp_date(str(value))
    return stored(moment) if moment is not None else None


def _image(item: Any, ids: IdSource, now: datetime) -> Doc:
    data = item if isinstance(item, dict) else {"id": item}
    image_id = int(data.get("id") or 0) or ids.next_id("post")
    when = stored(now)
    return {
        "id": image_id,
        "date_created": when,
        "date_modified": when,
        "src": str(data.get("src") or ""),
        "name": str(data.get("name") or ""),
        "alt": str(data.get("alt") or ""),
    }


def _attribute(item: dict[str, Any], index: int) -> Doc:
    options = item.get("options", [])
    if isinstance(options, str):
        options = [part.strip() for part in options.split("|") if part.strip()]
    name = str(item.get("name", ""))
    return {
        "id": int(item.get("id") or 0),
        "name": name,
        # A custom (local) attribute keeps its name as the slug, case and all (golden 044).
        "slug": name,
        "position": int(item.get("position", index) or 0),
        "visible": _truthy(item.get("visible", False)),
        "variation": _truthy(item.get("variation", False)),
        "options": [str(option) for option in options],
    }
