"""The read side: Tryton products as `RawItem`s, with prices and on-hand per warehouse.

One snapshot costs a bounded number of calls, never one per product:

- setup (once per connector): warehouses, product attributes, the price list;
- per snapshot: the web shops and their products (1 call);
- per page of `page_size` products: one `search_read` that also returns the
  on-hand of the first warehouse, plus one `read` of `quantity` for each
  further warehouse.

So 10,000 products over 3 warehouses at 500 a page take about 1 + 21 x 3 calls.
Pages are keyed on the product id (``id > last``), so a product created or
deleted while the snapshot runs cannot shift a page and hide another one.

`read_items_since` reads only the products that changed since the last
read (`changes`: a fixed number of change queries, then the changed
products in pages of ids), and everything every `full_read_every_s`.

What is read (docs/operations.md, "Tryton"): salable goods products
(`all`); the SKU is the product's `code`; the name, style and categories
come from its `product.template`; the regular price is the template's list
price (`list_price_used`, taxes excluded); the sale price is the configured
price list's price when it is lower; `web_flag` is the configured boolean
field (`flag`); `webstore_prices` names the web shops listing the product
(`webstore`); on-hand is Tryton's `quantity` (done moves up to today) with a
`locations` context of one warehouse at a time, less the units of confirmed
sales not shipped yet when ``on_hand = "available"`` (reservations need it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from storebridge.connectors.read_position import ReadPosition, full_read_due
from storebridge.connectors.tryton.changes import ChangeFinder
from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.connectors.tryton.settings import TrytonSettings
from storebridge.connectors.tryton.stamps import ChangeCursor
from storebridge.domain.model import RawItem, Scalar, SourceRef
from storebridge.errors import ConfigError
from storebridge.ports import ReadOutcome

__all__ = ["TrytonReader", "Warehouse", "attribute_rows"]

log = logging.getLogger(__name__)

#: The products StoreBridge reads: goods that may be sold (Tryton refuses others on a sale).
PRODUCT_DOMAIN: list[Any] = [("type", "=", "goods"), ("salable", "=", True)]


@dataclass(frozen=True, slots=True)
class Warehouse:
    id: int
    label: str  # the location key of `RawItem.on_hand`: the name given in the settings


@dataclass(frozen=True, slots=True)
class _Attribute:
    label: str  # e.g. "Size"
    values: Mapping[str, str]  # selection key -> label


class TrytonReader:
    """Reads the catalogue of one Tryton database page by page."""

    def __init__(self, rpc: TrytonRpc, settings: TrytonSettings) -> None:
        self.rpc = rpc
        self.settings = settings
        self._warehouses: tuple[Warehouse, ...] | None = None
        self._attributes: dict[str, _Attribute] | None = None
        self._price_list: int | None = None
        self._last_read: ReadOutcome | None = None
        self.changes = ChangeFinder(
            rpc, overlap=timedelta(seconds=settings.cursor_overlap_s), on_hand=settings.on_hand
        )

    @property
    def source(self) -> str:
        return f"tryton:{self.settings.database}/product.product"

    def warehouses(self) -> tuple[Warehouse, ...]:
        """The warehouses whose on-hand counts, resolved from codes or names once."""
        if self._warehouses is None:
            rows = self.rpc.call(
                "stock.location",
                "search_read",
                [("type", "=", "warehouse")],
                0,
                None,
                [("id", "ASC")],
                ["code", "name"],
            )
            self._warehouses = _pick_warehouses(rows, self.settings.warehouses)
        return self._warehouses

    def read_items(self) -> Iterator[RawItem]:
        return self._read(None)

    def read_items_since(self, position: str | None) -> Iterator[RawItem]:
        """The products changed since `position`, or all of them when a full read is due.

        A full read is due without a usable position, every
        `full_read_every_s`, and when a change query finds a change it
        cannot pin to products (`changes.ChangeSet.full_reason`).  The change
        queries run before the products are read, so a change committed
        meanwhile comes again in the next read, never not at all.
        """
        now = datetime.now(UTC)
        start = ReadPosition.decode(position)
        cursor = ChangeCursor.decode(start.cursor) if start is not None else None
        self._last_read = None
        price_list = self._load_price_list()
        warehouses = [w.id for w in self.warehouses()]
        if start is None or cursor is None or cursor.at is None:
            # Before the products: the changes up to the newest stamp are in this read, so
            # the records seen near it are marked delivered (the next read skips them).
            newest = self.changes.newest_stamp(price_list)
            after = None
            if newest is not None:
                first = ChangeCursor(newest, now.date())
                after = self.changes.since(first, now.date(), warehouses, price_list).cursor
            yield from self._read(None)
            encoded = None if after is None else after.encode()
            self._last_read = ReadOutcome(True, ReadPosition(encoded, now).encode())
            return
        found = self.changes.since(cursor, now.date(), warehouses, price_list)
        full = found.full_reason is not None or full_read_due(
            start, now, self.settings.full_read_every_s
        )
        if found.full_reason is not None:
            log.info("tryton %s: reading everything: %s", self.settings.database, found.full_reason)
        yield from self._read(None if full else sorted(found.products))
        full_read_at = now if full else start.full_read_at
        self._last_read = ReadOutcome(
            full, ReadPosition(found.cursor.encode(), full_read_at).encode()
        )

    @property
    def last_read(self) -> ReadOutcome | None:
        """What the last exhausted `read_items_since` was, and the position to store after it."""
        return self._last_read

    def _read(self, ids: Sequence[int] | None) -> Iterator[RawItem]:
        """Every product (`ids` None, in pages keyed on the id) or those of `ids`, page by page."""
        if ids is not None and not ids:
            return
        warehouses = self.warehouses()
        attributes = self._load_attributes()
        price_list = self._load_price_list()
        shops = self._shop_products()
        fields = [
            "code",
            "template",
            "attributes",
            "list_price_used",
            "quantity",
            "description",
            "template.name",
            "template.code",
            self.settings.flag_field,
        ]
        if price_list is not None:
            fields.append("sale_price_uom")
        first_context: dict[str, Any] = {"locations": [warehouses[0].id]}
        if price_list is not None:
            first_context["price_list"] = price_list
        size = self.settings.page_size
        last_id = 0
        offset = 0
        while True:
            if ids is None:
                page: list[Any] = [("id", ">", last_id)]
            else:
                page = [("id", "in", list(ids[offset : offset + size]))]
                offset += size
            rows = self.rpc.call(
                "product.product",
                "search_read",
                [*PRODUCT_DOMAIN, *page],
                0,
                size,
                [("id", "ASC")],
                fields,
                context=first_context,
            )
            if rows:
                yield from self._page(rows, warehouses, attributes, shops, price_list)
                last_id = rows[-1]["id"]
            if len(rows) < size if ids is None else offset >= len(ids):
                return

    def _page(
        self,
        rows: list[dict[str, Any]],
        warehouses: tuple[Warehouse, ...],
        attributes: Mapping[str, _Attribute],
        shops: Mapping[str, frozenset[int]],
        price_list: int | None,
    ) -> Iterator[RawItem]:
        on_hand = {row["id"]: {warehouses[0].label: row["quantity"]} for row in rows}
        ids = [row["id"] for row in rows]
        for warehouse in warehouses[1:]:
            quantities = self.rpc.call(
                "product.product",
                "read",
                ids,
                ["quantity"],
                context={"locations": [warehouse.id]},
            )
            for quantity in quantities:
                on_hand[quantity["id"]][warehouse.label] = quantity["quantity"]
        if self.settings.on_hand == "available":
            self._subtract_committed(on_hand, ids, warehouses)
        for row in rows:
            yield self._item(row, on_hand[row["id"]], attributes, shops, price_list)

    def _subtract_committed(
        self, on_hand: dict[int, dict[str, Any]], ids: list[int], warehouses: tuple[Warehouse, ...]
    ) -> None:
        """Take the units of confirmed, unshipped sales out of each warehouse's on-hand.

        A confirmed sale (a StoreBridge reservation among them) has planned
        customer moves out of its warehouse: Tryton counts them in the
        forecast, not in `quantity`.  The forecast itself is no use here: it
        also counts planned receipts, which are not on the shelf yet.  So
        "available" is `quantity` less those planned customer moves, one call
        per warehouse and page.
        """
        for warehouse in warehouses:
            moves = self.rpc.call(
                "stock.move",
                "search_read",
                [
                    ("product", "in", ids),
                    ("from_location", "child_of", [warehouse.id], "parent"),
                    ("to_location.type", "=", "customer"),
                    ("state", "in", ["draft", "assigned"]),
                ],
                0,
                None,
                None,
                ["product", "internal_quantity"],
            )
            for move in moves:
                by_location = on_hand[int(move["product"])]
                held = by_location.get(warehouse.label) or 0
                by_location[warehouse.label] = held - move["internal_quantity"]

    # -- one product -------------------------------------------------------------

    def _item(
        self,
        row: dict[str, Any],
        on_hand: dict[str, Any],
        attributes: Mapping[str, _Attribute],
        shops: Mapping[str, frozenset[int]],
        price_list: int | None,
    ) -> RawItem:
        template = row.get("template.") or {}
        regular = row.get("list_price_used")
        sale = row.get("sale_price_uom") if price_list is not None else None
        if sale is not None and (regular is None or Decimal(sale) >= Decimal(regular)):
            sale = None  # a price list at or above the list price is no offer
        values = row.get("attributes") or {}
        named = {
            attributes[key].label: attributes[key].values.get(str(value), str(value))
            for key, value in values.items()
            if key in attributes and value not in (None, "")
        }
        parent_code = parent_name = None
        if named:
            parent_code = _style_code(template.get("code"), row["template"])
            parent_name = template.get("name")
        raw = {
            "id": row["id"],
            "code": row.get("code"),
            "list_price": str(regular) if regular is not None else None,
            "on_hand": {k: _scalar(v) for k, v in on_hand.items()},
        }
        return RawItem(
            ref=SourceRef(self.source, row["id"], json.dumps(raw, ensure_ascii=False)),
            sku=row.get("code"),
            name=template.get("name"),
            regular_price=regular,
            sale_price=sale,
            on_hand={k: _scalar(v) for k, v in on_hand.items()},
            web_flag=_scalar(row.get(self.settings.flag_field)),
            webstore_prices={
                name: regular for name, products in shops.items() if row["id"] in products
            },
            description=row.get("description") or None,
            parent_code=parent_code,
            parent_name=parent_name,
            attributes=named,
        )

    # -- per snapshot / per connector look-ups -----------------------------------

    def _shop_products(self) -> dict[str, frozenset[int]]:
        # `products` lists a shop's active links only: a removed product leaves it
        rows = self.rpc.call("web.shop", "search_read", [], 0, None, None, ["name", "products"])
        return {row["name"]: frozenset(row["products"]) for row in rows}

    def _load_attributes(self) -> dict[str, _Attribute]:
        if self._attributes is None:
            self._attributes = {
                row["name"]: _Attribute(row["string"] or row["name"], _selection(row["selection"]))
                for row in attribute_rows(self.rpc)
            }
        return self._attributes

    def _load_price_list(self) -> int | None:
        name = self.settings.price_list
        if name is None:
            return None
        if self._price_list is None:
            ids = self.rpc.call("product.price_list", "search", [("name", "=", name)], 0, 2, None)
            if len(ids) != 1:
                raise ConfigError(
                    f"Tryton has {'no' if not ids else 'more than one'} price list named "
                    f"{name!r}; set price_list to the exact name of one price list, or remove it"
                )
            self._price_list = int(ids[0])
        return self._price_list


def attribute_rows(rpc: TrytonRpc) -> list[dict[str, Any]]:
    """Every product attribute: its key (`name`), label (`string`) and `selection` text."""
    rows: list[dict[str, Any]] = rpc.call(
        "product.attribute", "search_read", [], 0, None, None, ["name", "string", "selection"]
    )
    return rows


def _pick_warehouses(rows: list[dict[str, Any]], wanted: tuple[str, ...]) -> tuple[Warehouse, ...]:
    if not rows:
        raise ConfigError("the Tryton database has no warehouse; create one in Inventory")
    if not wanted:
        return tuple(Warehouse(row["id"], row["code"] or row["name"]) for row in rows)
    picked = []
    for name in wanted:
        matches = [row for row in rows if name in (row["code"], row["name"])]
        if len(matches) != 1:
            known = ", ".join(sorted(str(row["code"] or row["name"]) for row in rows))
            problem = "no" if not matches else "more than one"
            raise ConfigError(
                f"Tryton has {problem} warehouse with code or name {name!r}; known: {known}"
            )
        picked.append(Warehouse(matches[0]["id"], name))
    return tuple(picked)


def _selection(text: str | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, _, label = line.partition(":")
        if key.strip():
            values[key.strip()] = label.strip() or key.strip()
    return values


def _style_code(code: str | None, template_id: int) -> str:
    # Variant codes are the template code plus a suffix ("TEE-" + "RED-M"): the style's
    # SKU drops the joining character.
    cleaned = (code or "").strip().rstrip("-_./ ")
    return cleaned or f"tryton-template-{template_id}"


def _scalar(value: Any) -> Scalar:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str | int | float | Decimal | bool):
        return value
    return str(value)
